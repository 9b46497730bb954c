/**
 * The keyring's share of a start, measured in-process (no process spawn, so the figures
 * hold on a busy machine too): load the keys (RSA-4096, as the service makes them), open
 * the KV store holding 10,000 subjects and open the data key, as main.ts does — with no
 * earlier key, with one earlier key after the rewrap, and the first start after a rotation
 * (which rewraps the data key by compare-and-set).
 *
 * Run: deno bench -A --config=deno.dev.json bench/keyring_open_bench.ts
 *
 * @module
 */
import { KvStateStore } from "../store/kv_state_store.ts";
import { SubjectStore } from "../store/subject_store.ts";
import { loadServiceKeys } from "../store/key_files.ts";
import { loadPreviousKeys } from "../store/keyring.ts";
import { rotateServiceKey } from "../store/key_rotation.ts";
import { DATA_KEY_KEY } from "../store/state_keys.ts";
import { opensslKeyPair } from "../testing/openssl.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";

const SUBJECTS = 10_000;
const root = await Deno.makeTempDir({ prefix: "pki2fa-keyring-open-" });
const logger = createMemoryLogger("error");

async function start(keysDir: string): Promise<void> {
  const keys = await loadServiceKeys(keysDir, { logger });
  const previous = await loadPreviousKeys(keysDir, { logger, activeKid: keys.fingerprint });
  const state = await KvStateStore.open(`${root}/state.kv`);
  const subjects = await SubjectStore.open(state, { ...keys, previous }, { logger });
  const status = await subjects.status();
  state.close();
  if (status !== "ok") throw new Error(`the data key is ${status}`);
}

// Two keys folders: one never rotated, one rotated once (an earlier key in previous/).
await Deno.mkdir(`${root}/plain`);
await opensslKeyPair(`${root}/plain`, { bits: 4096 });
const plainKeys = await loadServiceKeys(`${root}/plain`, { logger });
{
  const state = await KvStateStore.open(`${root}/state.kv`);
  const subjects = await SubjectStore.open(state, plainKeys, { logger });
  for (let i = 0; i < SUBJECTS; i++) {
    await subjects.put(`user-${i}`, crypto.getRandomValues(new Uint8Array(20)), {
      algorithm: "SHA1",
      digits: 6,
      period: 30,
      issuer: null,
      account_name: null,
    }, { now: Date.now() });
  }
  state.close();
}
const wrappedToPlain = await (async () => {
  const state = await KvStateStore.open(`${root}/state.kv`);
  const record = await state.getRecord(DATA_KEY_KEY);
  state.close();
  return record;
})();
await Deno.mkdir(`${root}/rotated`);
await Deno.copyFile(`${root}/plain/student_private.pem`, `${root}/rotated/student_private.pem`);
await rotateServiceKey(`${root}/rotated`, { bits: 4096 });

async function putBack(): Promise<void> {
  const state = await KvStateStore.open(`${root}/state.kv`);
  await state.setRecord(DATA_KEY_KEY, wrappedToPlain);
  state.close();
}

Deno.bench("start, never rotated", { group: "start", baseline: true }, async (b) => {
  await putBack();
  b.start();
  await start(`${root}/plain`);
  b.end();
});

Deno.bench("first start after rotate-key (rewraps the data key)", { group: "start" }, async (b) => {
  await putBack();
  b.start();
  await start(`${root}/rotated`);
  b.end();
});

Deno.bench("later start, one earlier key loaded", { group: "start" }, async (b) => {
  await putBack();
  await start(`${root}/rotated`); // rewrapped already
  b.start();
  await start(`${root}/rotated`);
  b.end();
});

globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
