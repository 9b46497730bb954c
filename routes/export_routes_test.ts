import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { run } from "../testing/command.ts";
import { INSTRUCTOR_8192, opensslDecrypt, opensslKeyPair } from "../testing/openssl.ts";
import { MAX_BODY_BYTES } from "../app.ts";

const ADMIN = "export-admin-token-0123456789";
const VERIFIER = "export-verify-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const NOW = 1_764_000_015_000;
const SEED_HEX = "3132333435363738393031323334353637383930313233343536373839303132";

function fixture(exportEnabled: boolean) {
  return createAppFixture({
    now: NOW,
    security: { adminToken: ADMIN, verifyTokens: [VERIFIER], exportEnabled },
  });
}

async function withRecipient<T>(
  task: (recipient: { privatePath: string; publicPem: string; dir: string }) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-recipient-" });
  try {
    const { privatePath, publicPath } = await opensslKeyPair(dir);
    return await task({ privatePath, publicPem: await Deno.readTextFile(publicPath), dir });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** openssl's SHA-256 of the SPKI DER: what a recipient compares with the audit record. */
async function opensslFingerprint(publicPem: string): Promise<string> {
  const der = await run("openssl", ["pkey", "-pubin", "-outform", "DER"], { stdin: publicPem });
  return new Uint8Array(await crypto.subtle.digest("SHA-256", der.bytes.slice())).toHex();
}

Deno.test("export is off by default: 403 Export disabled after authentication, whatever the subject", async () => {
  await using t = await fixture(false);
  const body = { recipient_public_key: "x" };
  for (const id of ["alice", "default", "nobody"]) {
    assert.deepEqual(
      await statusAndBody(await t.call("POST", `/v1/subjects/${id}/export`, body, AS_ADMIN)),
      { status: 403, body: { error: "Export disabled" } },
    );
  }
  assert.deepEqual(
    await statusAndBody(await t.call("POST", "/v1/subjects/alice/export", body)),
    { status: 401, body: { error: "Unauthorized" } },
  );
  await using closed = await createAppFixture({ security: { exportEnabled: true } });
  assert.equal((await closed.call("POST", "/v1/subjects/a/export", body, AS_ADMIN)).status, 503);
  assert.deepEqual(t.audit.events.filter((e) => e.event === "seed.exported"), []);
});

Deno.test("export: the recipient's openssl pkeyutl decrypts the subject's hex seed; audited with the key's fingerprint", async () => {
  await using t = await fixture(true);
  await withRecipient(async ({ privatePath, publicPem }) => {
    const put = await t.call("PUT", "/v1/subjects/alice/seed", {
      encrypted_seed: await t.encrypt(SEED_HEX),
      algorithm: "SHA256",
      digits: 8,
      period: 60,
    }, AS_ADMIN);
    assert.equal(put.status, 201);
    const response = await t.call("POST", "/v1/subjects/alice/export", {
      recipient_public_key: publicPem,
    }, AS_ADMIN);
    const { status, body } = await statusAndBody(response);
    assert.equal(status, 200);
    const { encrypted_seed, ...params } = body as Record<string, unknown>;
    assert.deepEqual(params, { algorithm: "SHA256", digits: 8, period: 60 });
    const ciphertext = Uint8Array.fromBase64(encrypted_seed as string);
    assert.equal(ciphertext.length, 256);
    assert.equal(await opensslDecrypt(privatePath, ciphertext), SEED_HEX);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const exported = t.audit.events.filter((e) => e.event === "seed.exported");
    assert.deepEqual(exported.map(({ subject, fingerprint }) => ({ subject, fingerprint })), [
      { subject: "alice", fingerprint: await opensslFingerprint(publicPem) },
    ]);
    const logged = JSON.stringify([t.audit.events, t.logger.lines]);
    assert.ok(!logged.includes(SEED_HEX) && !logged.includes(encrypted_seed as string));
  });
});

Deno.test("export: the default subject and an 8192-bit recipient (beyond WebCrypto's import limit)", async () => {
  await using t = await fixture(true);
  assert.deepEqual(
    await statusAndBody(
      await t.call("POST", "/v1/subjects/default/export", {
        recipient_public_key: await Deno.readTextFile(INSTRUCTOR_8192.publicPath),
      }, AS_ADMIN),
    ),
    { status: 404, body: { error: "Subject not found" } },
    "no seed yet",
  );
  await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt(SEED_HEX) }, AS_ADMIN);
  const response = await t.call("POST", "/v1/subjects/default/export", {
    recipient_public_key: await Deno.readTextFile(INSTRUCTOR_8192.publicPath),
  }, AS_ADMIN);
  const body = await response.json();
  assert.deepEqual({ ...body, encrypted_seed: "" }, {
    encrypted_seed: "",
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  });
  const ciphertext = Uint8Array.fromBase64(body.encrypted_seed);
  assert.equal(ciphertext.length, 1024);
  assert.equal(await opensslDecrypt(INSTRUCTOR_8192.privatePath, ciphertext), SEED_HEX);
});

Deno.test("export: a bad key is 400 naming the problem and exports nothing; a private key is never echoed", async () => {
  await using t = await fixture(true);
  await t.call(
    "PUT",
    "/v1/subjects/alice/seed",
    { encrypted_seed: await t.encrypt(SEED_HEX) },
    AS_ADMIN,
  );
  const dir = await Deno.makeTempDir();
  try {
    const small = await opensslKeyPair(dir, { bits: 1024 });
    const privatePem = await Deno.readTextFile(small.privatePath);
    const cases: [unknown, number, string][] = [
      [{ recipient_public_key: "hello" }, 400, "recipient_public_key is not a PEM public key"],
      [
        { recipient_public_key: await Deno.readTextFile(small.publicPath) },
        400,
        "recipient_public_key has 1024 bits; 2048 to 8192 are accepted",
      ],
      [
        { recipient_public_key: privatePem },
        400,
        "recipient_public_key is a private key; send the public key (openssl pkey -pubout)",
      ],
      [{}, 400, "recipient_public_key must be an RSA public key PEM (at most 16 KiB)"],
      [
        { recipient_public_key: "A".repeat(16_385) },
        400,
        "recipient_public_key must be an RSA public key PEM (at most 16 KiB)",
      ],
      ["not json", 400, "recipient_public_key must be an RSA public key PEM (at most 16 KiB)"],
      [{ recipient_public_key: "A".repeat(MAX_BODY_BYTES) }, 413, "Request body too large"],
    ];
    for (const [body, status, error] of cases) {
      assert.deepEqual(
        await statusAndBody(await t.call("POST", "/v1/subjects/alice/export", body, AS_ADMIN)),
        { status, body: { error } },
      );
    }
    const logged = JSON.stringify([t.audit.events, t.logger.lines]);
    assert.ok(!logged.includes(privatePem.split("\n")[1]!), "the private key reached a log");
    assert.deepEqual(t.audit.events.filter((e) => e.event === "seed.exported"), []);
    const verifier = { authorization: `Bearer ${VERIFIER}` };
    assert.deepEqual(
      await statusAndBody(
        await t.call("POST", "/v1/subjects/alice/export", { recipient_public_key: "x" }, verifier),
      ),
      { status: 403, body: { error: "Forbidden" } },
    );
    assert.equal(
      (await t.call("POST", "/v1/subjects/bob/export", {
        recipient_public_key: await Deno.readTextFile(INSTRUCTOR_8192.publicPath),
      }, AS_ADMIN)).status,
      404,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export: 20 concurrent exports give 20 different ciphertexts of the same seed", async () => {
  await using t = await fixture(true);
  await t.call(
    "PUT",
    "/v1/subjects/alice/seed",
    { encrypted_seed: await t.encrypt(SEED_HEX) },
    AS_ADMIN,
  );
  await withRecipient(async ({ privatePath, publicPem }) => {
    const bodies = await Promise.all(
      Array.from({ length: 20 }, async () =>
        (await t.call("POST", "/v1/subjects/alice/export", {
          recipient_public_key: publicPem,
        }, AS_ADMIN)).json()),
    );
    const ciphertexts = new Set(bodies.map((b) => b.encrypted_seed));
    assert.equal(ciphertexts.size, 20, "OAEP is randomised");
    for (const ciphertext of ciphertexts) {
      assert.equal(await opensslDecrypt(privatePath, Uint8Array.fromBase64(ciphertext)), SEED_HEX);
    }
  });
});

Deno.test("export of an HOTP subject names its type and the counter in force", async () => {
  await using t = await fixture(true);
  const hex = "3132333435363738393031323334353637383930";
  const put = await t.call("PUT", "/v1/subjects/token/seed", {
    encrypted_seed: await t.encrypt(hex),
    type: "hotp",
    counter: 5,
  }, AS_ADMIN);
  assert.equal(put.status, 201, await put.text());
  const { code } = await (await t.call("GET", "/v1/subjects/token/code", undefined, AS_ADMIN))
    .json();
  assert.equal(
    await (await t.call("POST", "/v1/subjects/token/verify", { code }, AS_ADMIN)).text(),
    '{"valid":true}',
  );
  await withRecipient(async ({ privatePath, publicPem }) => {
    const body = await (await t.call("POST", "/v1/subjects/token/export", {
      recipient_public_key: publicPem,
    }, AS_ADMIN)).json();
    assert.deepEqual({ ...body, encrypted_seed: null }, {
      encrypted_seed: null,
      algorithm: "SHA1",
      digits: 6,
      period: 30,
      type: "hotp",
      counter: "6",
    });
    assert.equal(
      await opensslDecrypt(privatePath, Uint8Array.fromBase64(body.encrypted_seed)),
      hex,
    );
  });
});
