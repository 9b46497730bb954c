import assert from "node:assert/strict";
import { auditKeyringChange, recordKeyring } from "./keyring_history.ts";
import { KvStateStore } from "./kv_state_store.ts";
import { createMemoryAuditLog } from "../testing/memory_audit_log.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";

const [A, B, C] = ["a", "b", "c"].map((c) => c.repeat(64)) as [string, string, string];

Deno.test("recordKeyring(): nothing on the first start or an unchanged keyring; then rotations and retirements", async () => {
  const state = await KvStateStore.open(":memory:");
  try {
    const at = (active: string, previous: string[]) =>
      recordKeyring(state, { active, previous, now: 0 });
    assert.equal(await at(A, []), null);
    assert.equal(await at(A, []), null);
    assert.deepEqual(await at(B, [A]), { rotated: { kid: B, previousKid: A }, retired: [] });
    assert.equal(await at(B, [A]), null);
    assert.deepEqual(await at(C, [B, A]), { rotated: { kid: C, previousKid: B }, retired: [] });
    assert.deepEqual(await at(C, [B]), { rotated: null, retired: [A] });
    // A key replaced by hand, with no earlier key kept: rotated, and the old one gone.
    assert.deepEqual(await at(A, []), { rotated: { kid: A, previousKid: C }, retired: [C, B] });
  } finally {
    state.close();
  }
});

Deno.test("auditKeyringChange(): replicas starting together with a new keyring audit it once", async () => {
  const dir = await Deno.makeTempDir();
  const stores = [await KvStateStore.open(`${dir}/s.kv`), await KvStateStore.open(`${dir}/s.kv`)];
  try {
    await recordKeyring(stores[0]!, { active: A, previous: [C], now: 0 });
    const audits = [createMemoryAuditLog(), createMemoryAuditLog()];
    await Promise.all(
      stores.map((state, i) =>
        auditKeyringChange(state, {
          active: B,
          previous: [A],
          now: 1,
          audit: audits[i]!,
          logger: createMemoryLogger(),
        })
      ),
    );
    assert.deepEqual(audits.flatMap((a) => a.events), [
      { event: "key.rotated", kid: B, previousKid: A },
      { event: "key.retired", kid: C },
    ]);
  } finally {
    for (const s of stores) s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auditKeyringChange(): a store that does not answer is logged and skipped", async () => {
  const state = await KvStateStore.open(":memory:");
  state.close();
  const audit = createMemoryAuditLog();
  const logger = createMemoryLogger();
  await auditKeyringChange(state, { active: A, previous: [], now: 0, audit, logger });
  assert.deepEqual(audit.events, []);
  assert.deepEqual(logger.lines.map((l) => JSON.parse(l).msg), [
    "Could not record the keyring in the state store",
  ]);
});
