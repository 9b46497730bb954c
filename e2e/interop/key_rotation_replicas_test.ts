/**
 * Key rotation with two real replicas on a real redis-server, restarted together after
 * `deno task rotate-key`: both decrypt seeds for the old and the new key, the subjects and
 * the shared assignment seed enrolled under the old key work on both, the data key in Redis
 * is rewrapped exactly once (one `datakey.rewrapped` and one `key.rotated` across both
 * replicas' chains in their shared audit file, which audit-verify checks), and retiring the
 * old key is refused until that rewrap, then turns its ciphertexts into 500s.
 */
import assert from "node:assert/strict";
import { opensslEncrypt, opensslSpkiSha256 } from "../../testing/openssl.ts";
import { redisUrl } from "../../testing/redis.ts";
import { callReplica, startReplicaSet } from "../../testing/replica_set.ts";
import { run } from "../../testing/command.ts";
import { DENO, isolatedEnv, PROJECT_ROOT } from "../../testing/server_process.ts";
import { withTempDir } from "../../testing/temp_dir.ts";
import { hotp, importHmacKey } from "../../crypto/hotp.ts";
import { generateTotp } from "../../crypto/totp.ts";

const ALICE = "a1".repeat(20);
const SEED = "5e".repeat(32);

async function code(seedHex: string): Promise<string> {
  const key = await importHmacKey(Uint8Array.fromHex(seedHex));
  return (await generateTotp((c) => hotp(key, c), { now: Date.now() })).code;
}

async function json(response: Response) {
  return { status: response.status, body: await response.json() };
}

Deno.test("rotation with two replicas on Redis started together: one rewrap, everything verifies on both", async () => {
  await withTempDir(async (dir) => {
    const url = `${await redisUrl()}/10`;
    const audit = `${dir}/audit.jsonl`;
    const set = await startReplicaSet({ dir, redisUrl: url, env: { AUDIT_LOG_FILE: audit } });
    const [a] = set.replicas as [typeof set.replicas[0]];
    const rotateKey = (args: string[]) =>
      run(DENO, ["task", "-q", "rotate-key", ...args, "--dir", `${dir}/keys`], {
        cwd: PROJECT_ROOT,
        env: isolatedEnv({ DATA_DIR: `${dir}/a`, STATE_STORE: "redis", REDIS_URL: url }),
      });
    try {
      await Deno.copyFile(set.publicKeyPath, `${dir}/a.pub`);
      const put = await callReplica(a, "PUT", "/v1/subjects/alice/seed", {
        encrypted_seed: await opensslEncrypt(`${dir}/a.pub`, ALICE),
      });
      assert.equal(put.status, 201);
      const posted = await callReplica(a, "POST", "/decrypt-seed", {
        encrypted_seed: await opensslEncrypt(`${dir}/a.pub`, SEED),
      });
      assert.equal(posted.status, 200);
      await set.stop();

      const kidA = await opensslSpkiSha256(`${dir}/a.pub`);
      const rotated = await rotateKey(["--bits", "2048"]);
      assert.equal(rotated.code, 0, rotated.stderr);
      const kidB = await opensslSpkiSha256(set.publicKeyPath);
      const refused = await rotateKey(["--retire", kidA]);
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /Refusing to retire .*: the \/v1 data key \(in the state store\) is wrapped to this key/,
      );

      // Both replicas at once, racing to rewrap the data key in Redis.
      const [a2, b2] = await Promise.all([set.restart(0), set.restart(1)]);
      for (const replica of [a2, b2]) {
        assert.equal((await json(await callReplica(replica, "GET", "/ready"))).status, 200);
        const keys = (await json(await callReplica(replica, "GET", "/v1/keys"))).body.keys;
        assert.deepEqual(
          keys.slice(0, 2).map((k: { kid: string; status: string }) => [k.kid, k.status]),
          [
            [kidB, "active"],
            [kidA, "decrypt-only"],
          ],
        );
        assert.equal(
          (await json(await callReplica(replica, "GET", "/generate-2fa"))).body.code,
          await code(SEED),
        );
      }
      assert.deepEqual(
        await json(
          await callReplica(b2, "POST", "/v1/subjects/alice/verify", { code: await code(ALICE) }),
        ),
        { status: 200, body: { valid: true } },
      );
      // Seeds for the old key and for the new one, through either replica.
      const forOld = await callReplica(a2, "PUT", "/v1/subjects/bob/seed", {
        encrypted_seed: await opensslEncrypt(`${dir}/a.pub`, ALICE),
      });
      assert.equal(forOld.status, 201);
      const forNew = await callReplica(b2, "PUT", "/v1/subjects/carol/seed", {
        encrypted_seed: await opensslEncrypt(set.publicKeyPath, ALICE),
      });
      assert.equal(forNew.status, 201);
      await set.stop();

      const lines = (await Deno.readTextFile(audit)).trim().split("\n").map((l) => JSON.parse(l));
      const events = (name: string) => lines.filter((l) => l.event === name);
      assert.equal(
        events("datakey.rewrapped").length,
        1,
        JSON.stringify(events("datakey.rewrapped")),
      );
      assert.deepEqual(events("key.rotated").map((l) => [l.kid, l.previousKid]), [[kidB, kidA]]);
      assert.equal(new Set(lines.map((l) => l.log)).size, 2, "one chain per replica");
      const auditKeys = new Set<string>();
      for (const name of ["a", "b"]) {
        const pem = `${dir}/${name}/audit_signing.pem`;
        const pub = await run("openssl", [
          "pkey",
          "-in",
          pem,
          "-pubout",
          "-out",
          `${dir}/${name}-audit.pub`,
        ]);
        assert.equal(pub.code, 0, pub.stderr);
        auditKeys.add(`${dir}/${name}-audit.pub`);
      }
      const verified = await run(DENO, [
        "task",
        "-q",
        "audit-verify",
        audit,
        ...[...auditKeys].flatMap((k) => ["--public-key", k]),
      ], { cwd: PROJECT_ROOT });
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(
        verified.stdout,
        /^log [0-9a-f]{16}: \d+ lines intact, last checkpoint at seq \d+, 0 lines after it not yet sealed\nlog [0-9a-f]{16}: /,
      );

      const retired = await rotateKey(["--retire", kidA]);
      assert.equal(retired.code, 0, retired.stderr);
      const [a3] = await Promise.all([set.restart(0), set.restart(1)]);
      assert.deepEqual(
        await json(
          await callReplica(a3, "POST", "/decrypt-seed", {
            encrypted_seed: await opensslEncrypt(`${dir}/a.pub`, SEED),
          }),
        ),
        { status: 500, body: { error: "Decryption failed" } },
      );
      assert.equal((await json(await callReplica(a3, "GET", "/v1/subjects/alice"))).status, 200);
    } finally {
      await set.stop();
    }
  });
});
