import assert from "node:assert/strict";
import { KvStateStore } from "../../store/kv_state_store.ts";
import { sha256 } from "../../crypto/sha256.ts";
import {
  AdminSessions,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  sessionStoreKey,
} from "./admin_sessions.ts";

const TOKEN = "console-admin-token-0123456789";

async function sessions() {
  const store = await KvStateStore.open(":memory:");
  const clock = { now: 1_764_000_000_000 };
  return {
    store,
    clock,
    sessions: new AdminSessions(store, { adminToken: TOKEN, now: () => clock.now }),
    [Symbol.dispose]: () => store.close(),
  };
}

Deno.test("AdminSessions: random ids, the store holds only their SHA-256, the idle deadline moves with use", async () => {
  using t = await sessions();
  const a = await t.sessions.create();
  const b = await t.sessions.create();
  assert.match(a.id, /^[\w-]{43}$/);
  assert.match(a.csrf, /^[\w-]{43}$/);
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.csrf, b.csrf);
  assert.equal(await t.store.getRecord(["admin_sessions", a.id]), null);
  assert.equal(await t.store.getRecord(["admin_sessions", (await sha256(a.id)).toHex()]), null);
  assert.deepEqual(await t.store.getRecord(await sessionStoreKey(a.id, TOKEN)), {
    csrf: a.csrf,
    created: t.clock.now,
    seen: t.clock.now,
  });
  t.clock.now += SESSION_IDLE_MS - 1;
  assert.deepEqual(await t.sessions.resume(a.id), { ...a, seen: t.clock.now });
  t.clock.now += SESSION_IDLE_MS - 1;
  assert.equal((await t.sessions.resume(a.id))?.csrf, a.csrf);
  t.clock.now += SESSION_IDLE_MS;
  assert.equal(await t.sessions.resume(a.id), null);
  assert.equal(
    await t.store.getRecord(await sessionStoreKey(a.id, TOKEN)),
    null,
    "an idle session is removed",
  );
  assert.equal(await t.sessions.resume(b.id), null, "b was idle all along");
});

Deno.test("AdminSessions: end() ends one session; made-up and malformed ids are no session", async () => {
  using t = await sessions();
  const a = await t.sessions.create();
  const b = await t.sessions.create();
  assert.equal(await t.sessions.end(a.id), true);
  assert.equal(await t.sessions.end(a.id), false);
  assert.equal(await t.sessions.resume(a.id), null);
  assert.equal((await t.sessions.resume(b.id))?.id, b.id);
  for (
    const id of [undefined, "", "short", "A".repeat(43), `${b.id}x`, b.id.slice(1), "é".repeat(43)]
  ) {
    assert.equal(await t.sessions.resume(id), null, String(id));
    assert.equal(await t.sessions.end(id), false);
  }
  // A hundred concurrent uses of one session all find it.
  const uses = await Promise.all(Array.from({ length: 100 }, () => t.sessions.resume(b.id)));
  assert.ok(uses.every((use) => use?.id === b.id));
});

Deno.test("AdminSessions: a session opened with another admin token is no session (the token was changed)", async () => {
  using t = await sessions();
  const a = await t.sessions.create();
  const rotated = new AdminSessions(t.store, {
    adminToken: "new-admin-token-after-a-leak-0123",
    now: () => t.clock.now,
  });
  assert.equal(await rotated.resume(a.id), null);
  assert.equal(await rotated.end(a.id), false);
  assert.equal((await t.sessions.resume(a.id))?.id, a.id, "the old token's process still has it");
  const b = await rotated.create();
  assert.equal(await t.sessions.resume(b.id), null);
});

Deno.test("AdminSessions: a session ends 8 hours after sign-in however busy, and is removed", async () => {
  using t = await sessions();
  const a = await t.sessions.create();
  const signedIn = t.clock.now;
  // A request every 29 minutes keeps it from going idle...
  while (t.clock.now + SESSION_IDLE_MS - 60_000 < signedIn + SESSION_MAX_MS) {
    t.clock.now += SESSION_IDLE_MS - 60_000;
    assert.equal((await t.sessions.resume(a.id))?.id, a.id);
  }
  // ...but not past the maximum age.
  t.clock.now = signedIn + SESSION_MAX_MS;
  assert.equal(await t.sessions.resume(a.id), null);
  assert.equal(await t.store.getRecord(await sessionStoreKey(a.id, TOKEN)), null);
});
