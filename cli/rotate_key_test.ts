import assert from "node:assert/strict";
import { main } from "./rotate_key.ts";
import { memoryIo } from "../testing/memory_io.ts";
import { opensslKeyPair, opensslSpkiSha256 } from "../testing/openssl.ts";
import { withTempDir } from "../testing/temp_dir.ts";
import { DataKey } from "../store/data_key.ts";
import { KvStateStore } from "../store/kv_state_store.ts";
import { createSeedSealer, SEALED_SEED_FILE } from "../store/seed_files.ts";
import { loadServiceKeys } from "../store/key_files.ts";
import { loadPreviousKeys } from "../store/keyring.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";

async function rotate(dir: string, env: Record<string, string> = {}) {
  const io = memoryIo({ DATA_DIR: `${dir}/data`, ...env });
  const code = await main(["--dir", `${dir}/keys`, "--bits", "2048"], io);
  return { code, out: io.outLines, err: io.errLines };
}

async function retire(dir: string, kid: string, extra: string[] = []) {
  const io = memoryIo({ DATA_DIR: `${dir}/data` });
  const code = await main(["--retire", kid, "--dir", `${dir}/keys`, ...extra], io);
  return { code, out: io.outLines, err: io.errLines };
}

Deno.test("rotate-key prints the old and new kid (as openssl computes them) and keeps the old key decrypt-only", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/keys`);
    const { publicPath } = await opensslKeyPair(`${dir}/keys`);
    const oldKid = await opensslSpkiSha256(publicPath);
    const result = await rotate(dir);
    const newKid = await opensslSpkiSha256(publicPath);
    assert.equal(result.code, 0, result.err.join("\n"));
    assert.deepEqual(result.err, ["Generating a 2048-bit RSA key pair..."]);
    assert.deepEqual(result.out, [
      `Previous key: ${oldKid} (now ${dir}/keys/previous/${oldKid}.pem, decrypt-only)`,
      `Active key:   ${newKid}`,
      "Restart the service (every replica). Issuers can fetch the new public key from GET " +
      `/v1/keys; retire the old one once nothing uses it: deno task rotate-key --retire ${oldKid}`,
    ]);
    const active = await loadServiceKeys(`${dir}/keys`, { logger: createMemoryLogger() });
    const previous = await loadPreviousKeys(`${dir}/keys`, {
      logger: createMemoryLogger(),
      activeKid: active.fingerprint,
    });
    assert.deepEqual(previous.map((k) => k.kid), [oldKid]);
    // Without the service's DATA_DIR nothing can be checked: refused, the key kept.
    const blind = await retire(dir, oldKid);
    assert.deepEqual(blind, {
      code: 1,
      out: [],
      err: [
        `rotate-key: DATA_DIR "${dir}/data" does not exist, so what is wrapped to the key cannot ` +
        "be checked; run this with the service's DATA_DIR (and STATE_STORE, REDIS_URL) set as the service has them",
      ],
    });
    assert.ok(await Deno.stat(`${dir}/keys/previous/${oldKid}.pem`));
  });
});

Deno.test("rotate-key --retire refuses while the data key or a sealed seed is wrapped to the key, then retires it", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/keys`);
    await Deno.mkdir(`${dir}/data`);
    await opensslKeyPair(`${dir}/keys`);
    const old = await loadServiceKeys(`${dir}/keys`, { logger: createMemoryLogger() });
    // The service ran with the old key: a data key and a sealed seed wrapped to it.
    const state = await KvStateStore.open(`${dir}/data/state.kv`);
    await new DataKey(state, old, { logger: createMemoryLogger() }).get();
    state.close();
    await Deno.writeTextFile(
      `${dir}/data/${SEALED_SEED_FILE}`,
      await createSeedSealer(old.privateKey, old.publicKey).seal("ab".repeat(32)),
    );
    assert.equal((await rotate(dir)).code, 0);

    const refused = await retire(dir, old.fingerprint.toUpperCase());
    assert.equal(refused.code, 1);
    assert.deepEqual(refused.out, []);
    assert.deepEqual(refused.err, [
      `rotate-key: Refusing to retire ${old.fingerprint}: the /v1 data key (in the state store) is ` +
      "wrapped to this key; start the service (every replica) once with the new active key: it " +
      "rewraps the data key (audit event datakey.rewrapped). Also, the sealed seed " +
      `"${dir}/data/${SEALED_SEED_FILE}" is encrypted to this key; start the service (every ` +
      "replica) once with the new active key: it seals the seed again to the active key. Then run this again",
    ]);
    assert.ok(await Deno.stat(`${dir}/keys/previous/${old.fingerprint}.pem`));

    // What a start with the new keyring does (tested with the real process in e2e).
    const active = await loadServiceKeys(`${dir}/keys`, { logger: createMemoryLogger() });
    const again = await KvStateStore.open(`${dir}/data/state.kv`);
    await new DataKey(again, {
      ...active,
      previous: [{ kid: old.fingerprint, privateKey: old.privateKey }],
    }, { logger: createMemoryLogger() }).get();
    again.close();
    await Deno.writeTextFile(
      `${dir}/data/${SEALED_SEED_FILE}`,
      await createSeedSealer(active.privateKey, active.publicKey).seal("ab".repeat(32)),
    );

    const retired = await retire(dir, old.fingerprint);
    assert.deepEqual(retired, {
      code: 0,
      out: [
        `Retired ${old.fingerprint} (deleted ${dir}/keys/previous/${old.fingerprint}.pem); ciphertexts for it no longer decrypt`,
        "Restart the service (every replica) so it stops loading the key",
      ],
      err: [],
    });
    await assert.rejects(
      Deno.stat(`${dir}/keys/previous/${old.fingerprint}.pem`),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("rotate-key: clear errors for the active key, an unknown kid, a bad kid, no key and bad options", async () => {
  await withTempDir(async (dir) => {
    const none = await rotate(dir);
    assert.deepEqual(
      none.err.at(-1),
      `rotate-key: There is no key at "${dir}/keys/student_private.pem" to rotate; make one with deno task keygen`,
    );
    assert.equal(none.code, 1);
    await Deno.mkdir(`${dir}/keys`);
    const { publicPath } = await opensslKeyPair(`${dir}/keys`);
    const activeKid = await opensslSpkiSha256(publicPath);
    const cases: [string[], number, string][] = [
      [
        ["--retire", activeKid],
        1,
        `rotate-key: ${activeKid} is the active key; rotate first (deno task rotate-key), then retire it`,
      ],
      [
        ["--retire", "1".repeat(64)],
        1,
        `rotate-key: There is no earlier key ${"1".repeat(64)} ("${dir}/keys/previous/${
          "1".repeat(64)
        }.pem" does not exist)`,
      ],
      [["--retire", "xyz"], 2, 'rotate-key: --retire takes a kid, 64 hex digits (got "xyz")'],
      [
        ["--retire", activeKid, "--bits", "2048"],
        2,
        "rotate-key: --bits makes no sense with --retire",
      ],
      [
        ["--bits", "1024"],
        2,
        'rotate-key: --bits must be a whole number from 2048 to 4096 (got "1024")',
      ],
    ];
    for (const [args, code, message] of cases) {
      const io = memoryIo({ DATA_DIR: `${dir}/data` });
      assert.equal(await main([...args, "--dir", `${dir}/keys`], io), code, args.join(" "));
      assert.equal(io.errLines[0], message);
    }
    await Deno.mkdir(`${dir}/keys/previous`);
    await Deno.copyFile(
      `${dir}/keys/student_private.pem`,
      `${dir}/keys/previous/${"2".repeat(64)}.pem`,
    );
    const noData = memoryIo({ DATA_DIR: `${dir}/nowhere` });
    assert.equal(await main(["--retire", "2".repeat(64), "--dir", `${dir}/keys`], noData), 1);
    assert.deepEqual(noData.errLines, [
      `rotate-key: "${dir}/keys/previous/${"2".repeat(64)}.pem" holds the key ${activeKid}, not ${
        "2".repeat(64)
      }; rename it to ${activeKid}.pem`,
    ]);
    const badConfig = memoryIo({ STATE_STORE: "redis" });
    assert.equal(await main(["--retire", activeKid, "--dir", `${dir}/keys`], badConfig), 1);
    assert.equal(
      badConfig.errLines[0],
      "rotate-key: Invalid configuration: REDIS_URL is required when STATE_STORE=redis",
    );
  });
});
