import assert from "node:assert/strict";
import { main } from "./issue_seed.ts";
import { memoryIo } from "../testing/memory_io.ts";
import {
  INSTRUCTOR_8192,
  opensslDecrypt,
  opensslKeyPair,
  opensslSpkiSha256,
  opensslVerifyPss,
} from "../testing/openssl.ts";
import { publicKeyPemToSpki } from "../crypto/rsa_keys.ts";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";

Deno.test("issue-seed output decrypts with openssl to 64 hex, and only --print-seed shows it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { privatePath, publicPath } = await opensslKeyPair(dir, { bits: 4096 });
    const quiet = memoryIo();
    assert.equal(await main(["--public-key", publicPath, "--out", `${dir}/a.txt`], quiet), 0);
    assert.deepEqual(quiet.outLines, [`Encrypted seed written to ${dir}/a.txt (4096-bit key)`]);
    const text = await Deno.readTextFile(`${dir}/a.txt`);
    assert.match(text, /^[A-Za-z0-9+/]+={0,2}\n$/);
    const ciphertext = Uint8Array.fromBase64(text.trim());
    assert.equal(ciphertext.length, 512);
    assert.match(await opensslDecrypt(privatePath, ciphertext), /^[0-9a-f]{64}$/);

    const loud = memoryIo();
    assert.equal(
      await main(["--public-key", publicPath, "--out", `${dir}/b.txt`, "--print-seed"], loud),
      0,
    );
    const seed = loud.outLines[1]!.replace("Seed: ", "");
    assert.equal(
      await opensslDecrypt(
        privatePath,
        Uint8Array.fromBase64((await Deno.readTextFile(`${dir}/b.txt`)).trim()),
      ),
      seed,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the service's /decrypt-seed accepts issue-seed output", async () => {
  await using t = await createAppFixture();
  await Deno.writeTextFile(`${t.dir}/public.pem`, t.keys.publicPem);
  const io = memoryIo();
  assert.equal(
    await main([
      "--public-key",
      `${t.dir}/public.pem`,
      "--out",
      `${t.dir}/seed.b64`,
      "--print-seed",
    ], io),
    0,
  );
  const encrypted = await Deno.readTextFile(`${t.dir}/seed.b64`);
  assert.deepEqual(
    await statusAndBody(await t.call("POST", "/decrypt-seed", { encrypted_seed: encrypted })),
    {
      status: 200,
      body: { status: "ok" },
    },
  );
  assert.equal(await t.seedFile(), io.outLines[1]!.replace("Seed: ", ""));
});

Deno.test("issue-seed names a missing or wrong public key file", async () => {
  const missing = memoryIo();
  assert.equal(await main(["--public-key", "/nonexistent/key.pem"], missing), 1);
  assert.deepEqual(missing.errLines, [
    'issue-seed: Public key "/nonexistent/key.pem" does not exist',
  ]);
  const dir = await Deno.makeTempDir();
  try {
    const { privatePath } = await opensslKeyPair(dir);
    const wrong = memoryIo();
    assert.equal(await main(["--public-key", privatePath, "--out", `${dir}/x`], wrong), 1);
    assert.deepEqual(wrong.errLines, [
      `issue-seed: Public key "${privatePath}" is not an RSA public key: Expected an RSA public key PEM, found "PRIVATE KEY"`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issue-seed --sign-with: openssl verifies the PSS signature and the service accepts the pair", async () => {
  const issuerDir = await Deno.makeTempDir();
  try {
    const issuer = await opensslKeyPair(issuerDir, {
      bits: 4096,
      privateName: "issuer.pem",
      publicName: "issuer.pub",
    });
    const issuerSpki = publicKeyPemToSpki(await Deno.readTextFile(issuer.publicPath));
    await using t = await createAppFixture({
      security: { issuerSpki, requireSeedSignature: true },
    });
    await Deno.writeTextFile(`${t.dir}/public.pem`, t.keys.publicPem);
    const io = memoryIo();
    const out = `${t.dir}/seed.b64`;
    assert.equal(
      await main([
        "--public-key",
        `${t.dir}/public.pem`,
        "--out",
        out,
        "--sign-with",
        issuer.privatePath,
      ], io),
      0,
    );
    assert.deepEqual(io.outLines, [
      `Encrypted seed written to ${out} (2048-bit key)`,
      `Issuer signature written to ${out}.sig, the request body to ${out}.json`,
    ]);
    const encrypted = (await Deno.readTextFile(out)).trim();
    const signature = (await Deno.readTextFile(`${out}.sig`)).trim();
    const body = JSON.parse(await Deno.readTextFile(`${out}.json`));
    assert.deepEqual(Object.keys(body), ["encrypted_seed", "signature", "issued_at"]);
    assert.equal(body.encrypted_seed, encrypted);
    assert.equal(body.signature, signature);
    assert.match(body.issued_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(body.issued_at) - Date.now()) < 60_000);
    const message = `pki-2fa-seed-v1\ndefault\n${await opensslSpkiSha256(
      `${t.dir}/public.pem`,
    )}\n${body.issued_at}\n${encrypted}`;
    assert.equal(
      await opensslVerifyPss(issuer.publicPath, message, Uint8Array.fromBase64(signature)),
      true,
    );
    // The service checks issued_at against its own clock.
    t.clock.now = Date.parse(body.issued_at) + 1000;
    assert.deepEqual(
      await statusAndBody(await t.call("POST", "/decrypt-seed", body)),
      {
        status: 200,
        body: { status: "ok" },
      },
    );
    assert.deepEqual(await statusAndBody(await t.call("POST", "/decrypt-seed", body)), {
      status: 409,
      body: { error: "Stale seed" },
    });
    const unsigned = await t.call("POST", "/decrypt-seed", { encrypted_seed: encrypted });
    assert.deepEqual(await statusAndBody(unsigned), {
      status: 401,
      body: { error: "Seed signature required" },
    });
  } finally {
    await Deno.remove(issuerDir, { recursive: true });
  }
});

Deno.test("issue-seed --sign-with an 8192-bit key explains how to sign with openssl and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { publicPath } = await opensslKeyPair(dir);
    // Files from an earlier run must survive a run that fails on its signing key.
    const earlier = { o: "old seed\n", "o.sig": "old sig\n", "o.json": '{"old":true}\n' };
    for (const [name, text] of Object.entries(earlier)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    const io = memoryIo();
    const code = await main([
      "--public-key",
      publicPath,
      "--out",
      `${dir}/o`,
      "--sign-with",
      INSTRUCTOR_8192.privatePath,
    ], io);
    assert.equal(code, 1);
    assert.deepEqual(io.outLines, []);
    assert.deepEqual(io.errLines, [
      `issue-seed: The issuer key "${INSTRUCTOR_8192.privatePath}" has 8192 bits, more than Deno can sign with (4096); sign the pki-2fa-seed-v1 message with openssl instead (docs/security.md, Issuer-signed seeds)`,
    ]);
    for (const [name, text] of Object.entries(earlier)) {
      assert.equal(await Deno.readTextFile(`${dir}/${name}`), text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
