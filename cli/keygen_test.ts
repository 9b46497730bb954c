import assert from "node:assert/strict";
import { main } from "./keygen.ts";
import { memoryIo } from "../testing/memory_io.ts";
import { run, runOk } from "../testing/command.ts";

Deno.test("keygen writes a 4096-bit pair openssl reads, mode 0600, and prints the fingerprint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const io = memoryIo();
    assert.equal(await main(["--dir", `${dir}/keys`], io), 0);
    const privatePath = `${dir}/keys/student_private.pem`;
    const publicPath = `${dir}/keys/student_public.pem`;
    assert.equal((await Deno.stat(privatePath)).mode! & 0o777, 0o600);
    assert.match(await Deno.readTextFile(privatePath), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(await Deno.readTextFile(publicPath), /^-----BEGIN PUBLIC KEY-----\n/);
    assert.match(
      await runOk("openssl", ["pkey", "-in", privatePath, "-noout", "-text"]),
      /Private-Key: \(4096 bit, 2 primes\)/,
    );
    const pub = await runOk("openssl", ["rsa", "-pubin", "-in", publicPath, "-noout", "-text"]);
    assert.match(pub, /Public-Key: \(4096 bit\)/);
    assert.match(pub, /Exponent: 65537 \(0x10001\)/);
    const der = await run("openssl", ["pkey", "-pubin", "-in", publicPath, "-outform", "DER"]);
    const fingerprint = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new Uint8Array(der.bytes)),
    ).toHex();
    assert.deepEqual(io.outLines, [
      `Private key: ${dir}/keys/student_private.pem (mode 0600, keep it secret)`,
      `Public key:  ${dir}/keys/student_public.pem`,
      `SHA-256 fingerprint: ${fingerprint}`,
    ]);
    assert.ok(!io.outLines.join("\n").includes("PRIVATE KEY"));

    // A second run refuses to overwrite; --force replaces the pair.
    const again = memoryIo();
    assert.equal(await main(["--dir", `${dir}/keys`, "--bits", "2048"], again), 1);
    assert.deepEqual(again.errLines, [
      `keygen: "${privatePath}" already exists; use --force to replace the key pair`,
    ]);
    assert.equal(await main(["--dir", `${dir}/keys`, "--bits", "2048", "--force"], memoryIo()), 0);
    assert.match(
      await runOk("openssl", ["pkey", "-in", privatePath, "-noout", "-text"]),
      /2048 bit/,
    );
    assert.equal((await Deno.stat(privatePath)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keygen refuses sizes under 2048 and unknown options with usage errors", async () => {
  for (
    const args of [["--bits", "1024"], ["--bits", "abc"], ["--bits", "8192"], ["--size", "2048"]]
  ) {
    const io = memoryIo();
    assert.equal(await main(args, io), 2, args.join(" "));
    assert.equal(io.errLines.at(-1), 'Run "deno task keygen --help" for usage.');
  }
  const io = memoryIo();
  await main(["--bits", "1024"], io);
  assert.equal(
    io.errLines[0],
    'keygen: --bits must be a whole number from 2048 to 4096 (got "1024")',
  );
});
