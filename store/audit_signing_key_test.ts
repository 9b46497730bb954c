import assert from "node:assert/strict";
import { loadAuditSigningKey } from "./audit_signing_key.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { runOk } from "../testing/command.ts";
import { withTempDir } from "../testing/temp_dir.ts";

Deno.test("loadAuditSigningKey() creates a 0600 Ed25519 key on first use and loads the same key after", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit_signing.pem`;
    const logger = createMemoryLogger();
    const first = await loadAuditSigningKey(path, { logger });
    assert.equal(first.generated, true);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.match(await Deno.readTextFile(path), /^-----BEGIN PRIVATE KEY-----\n/);
    const second = await loadAuditSigningKey(path, { logger });
    assert.equal(second.generated, false);
    assert.equal(second.kid, first.kid);
    assert.deepEqual(logger.lines.map((l) => [JSON.parse(l).msg, JSON.parse(l).kid]), [
      ["Generated the audit signing key", first.kid],
      ["Loaded the audit signing key", first.kid],
    ]);
    // openssl reads it and derives the same public key.
    const pub = await runOk("openssl", ["pkey", "-in", path, "-pubout"]);
    assert.equal(pub, first.publicPem);
  });
});

Deno.test("loadAuditSigningKey() takes an openssl key, warns when others can read it, and names bad files", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/k.pem`;
    await runOk("openssl", ["genpkey", "-algorithm", "ed25519", "-out", path]);
    await Deno.chmod(path, 0o644);
    const logger = createMemoryLogger();
    const key = await loadAuditSigningKey(path, { logger });
    assert.equal(key.generated, false);
    assert.equal(
      JSON.parse(logger.lines[0]!).msg,
      "The audit signing key is readable by group or others; run chmod 600",
    );

    await runOk("openssl", [
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:2048",
      "-out",
      `${dir}/rsa.pem`,
    ]);
    await assert.rejects(loadAuditSigningKey(`${dir}/rsa.pem`, { logger }), {
      name: "KeyFileError",
      message:
        `Cannot use AUDIT_SIGNING_KEY "${dir}/rsa.pem": The private key is not an Ed25519 key in ` +
        "PKCS#8 form (make one with: openssl genpkey -algorithm ed25519 -out FILE)",
    });
    await assert.rejects(loadAuditSigningKey(`${dir}/missing/k.pem`, { logger }), {
      name: "KeyFileError",
      message: new RegExp(
        `^AUDIT_SIGNING_KEY "${dir}/missing/k.pem" does not exist and cannot be created`,
      ),
    });
  });
});
