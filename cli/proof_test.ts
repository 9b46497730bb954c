import assert from "node:assert/strict";
import { main } from "./proof.ts";
import { maxPssSaltLength } from "../crypto/rsa_pss.ts";
import { memoryIo } from "../testing/memory_io.ts";
import {
  INSTRUCTOR_8192,
  opensslDecryptBytes,
  opensslKeyPair,
  opensslVerifyPss,
} from "../testing/openssl.ts";
import { run } from "../testing/command.ts";

const COMMIT = "4f1a2b3c4d5e6f708192a3b4c5d6e7f809a1b2c3";
const clean = () => Promise.resolve("");

Deno.test("maxPssSaltLength() is 478 for 4096-bit keys and 222 for 2048", () => {
  assert.equal(maxPssSaltLength(4096), 478);
  assert.equal(maxPssSaltLength(2048), 222);
  assert.equal(maxPssSaltLength(8192), 990);
});

Deno.test("proof: openssl decrypts with the 8192-bit key and verifies the PSS signature (max salt)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const student = await opensslKeyPair(dir, { bits: 4096, format: "pkcs1" });
    const io = memoryIo();
    const code = await main(
      [
        "--commit",
        COMMIT.toUpperCase(),
        "--key",
        student.privatePath,
        "--instructor",
        INSTRUCTOR_8192.publicPath,
      ],
      io,
      clean,
    );
    assert.equal(code, 0, io.errLines.join("\n"));
    assert.equal(io.outLines[0], `Commit Hash: ${COMMIT}`);
    const base64 = io.outLines[1]!.replace("Encrypted Signature: ", "");
    assert.equal(base64.length, 1368);
    const signature = await opensslDecryptBytes(
      INSTRUCTOR_8192.privatePath,
      Uint8Array.fromBase64(base64),
    );
    assert.equal(signature.length, 512);
    assert.equal(await opensslVerifyPss(student.publicPath, COMMIT, signature), true);
    assert.equal(
      await opensslVerifyPss(student.publicPath, COMMIT.replace("4", "5"), signature),
      false,
    );
    // The salt is the maximum: openssl refuses the signature when told to expect a shorter one.
    await Deno.writeFile(`${dir}/sig`, signature);
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(COMMIT)),
    );
    for (const [saltlen, ok] of [["max", true], ["478", true], ["32", false]] as const) {
      const result = await run("openssl", [
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        student.publicPath,
        "-sigfile",
        `${dir}/sig`,
        "-pkeyopt",
        "rsa_padding_mode:pss",
        "-pkeyopt",
        `rsa_pss_saltlen:${saltlen}`,
        "-pkeyopt",
        "digest:sha256",
      ], { stdin: digest });
      assert.equal(result.code === 0, ok, `saltlen ${saltlen}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("proof refuses a 4096-bit instructor key with the size, capacity and the likely cause", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const student = await opensslKeyPair(dir, { bits: 4096 });
    const wrong = await opensslKeyPair(dir, {
      bits: 4096,
      privateName: "i.pem",
      publicName: "instructor_public.pem",
    });
    const io = memoryIo();
    assert.equal(
      await main(
        ["--commit", COMMIT, "--key", student.privatePath, "--instructor", wrong.publicPath],
        io,
        clean,
      ),
      1,
    );
    assert.deepEqual(io.outLines, []);
    assert.deepEqual(io.errLines, [
      `proof: The instructor key "${wrong.publicPath}" is 4096-bit: RSA-OAEP-SHA256 holds at most 446 bytes, ` +
      "but the signature is 512 bytes. The assignment's instructor key is 8192-bit (958 bytes); this is probably not the right key",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("proof refuses a commit that is not 40 hex and warns about a dirty tree", async () => {
  for (const commit of ["abc123", COMMIT + "0", "g".repeat(40)]) {
    const io = memoryIo();
    assert.equal(await main(["--commit", commit], io, clean), 2, commit);
    assert.equal(io.errLines[0], `proof: A commit hash is 40 hex characters (got "${commit}")`);
  }
  const dir = await Deno.makeTempDir();
  try {
    const student = await opensslKeyPair(dir, { bits: 2048 });
    const calls: string[][] = [];
    const dirtyGit = (args: string[]) => {
      calls.push(args);
      return Promise.resolve(args[0] === "rev-parse" ? `${COMMIT}\n` : " M app.ts\n");
    };
    const io = memoryIo();
    assert.equal(
      await main(
        ["--key", student.privatePath, "--instructor", INSTRUCTOR_8192.publicPath],
        io,
        dirtyGit,
      ),
      0,
    );
    assert.deepEqual(calls, [["rev-parse", "HEAD"], ["status", "--porcelain"]]);
    assert.equal(io.outLines[0], `Commit Hash: ${COMMIT}`);
    assert.deepEqual(io.errLines, [
      "warning: the working tree has uncommitted changes; they are not part of this commit",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
