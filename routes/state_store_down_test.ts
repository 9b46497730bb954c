import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NOW = 1_764_000_015_000; // code 557321
const TOKEN = "down-admin-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const UNAVAILABLE = { status: 503, body: { error: "State store unavailable" } };

Deno.test("a failing state store: 503 State store unavailable where it is needed, everything else served, no stack trace", async () => {
  await using t = await createAppFixture({
    now: NOW,
    security: { adminToken: TOKEN, rateLimitPerMinute: 600 },
  });
  const seeded = await t.call("POST", "/decrypt-seed", {
    encrypted_seed: await t.encrypt(SEED),
  }, AUTH);
  assert.equal(seeded.status, 200);
  assert.equal(
    (await t.call(
      "POST",
      "/v1/subjects/alice/enroll",
      { issuer: "ACME", account_name: "alice" },
      AUTH,
    )).status,
    201,
  );
  // The KV file fails under the running service (here: its handle is closed).
  t.stateStore.close();

  for (
    const [method, path, body] of [
      ["POST", "/verify-2fa", { code: "557321" }],
      ["POST", "/v1/subjects/alice/verify", { code: "123456" }],
      ["POST", "/v1/subjects/default/verify", { code: "557321" }],
      ["GET", "/v1/subjects/alice", undefined],
      ["GET", "/v1/subjects/default", undefined],
      ["GET", "/v1/subjects", undefined],
      ["POST", "/v1/subjects/bob/enroll", { issuer: "ACME", account_name: "bob" }],
      ["DELETE", "/v1/subjects/alice", undefined],
    ] as const
  ) {
    assert.deepEqual(
      await statusAndBody(await t.call(method, path, body, AUTH)),
      UNAVAILABLE,
      `${method} ${path}`,
    );
  }
  // What does not need the store keeps working: liveness, codes, the seed file contract.
  assert.equal((await t.call("GET", "/health")).status, 200);
  const generated = await statusAndBody(await t.call("GET", "/generate-2fa", undefined, AUTH));
  assert.deepEqual(generated, { status: 200, body: { code: "557321", valid_for: 15 } });
  const ready = await statusAndBody(await t.call("GET", "/ready"));
  assert.equal(ready.status, 503);
  assert.equal((ready.body as { checks: { state_store: string } }).checks.state_store, "error");

  const logged = t.logger.lines.join("\n");
  assert.ok(!logged.includes("Unexpected error"), logged);
  assert.ok(!/\bat .*\.ts:\d+/.test(logged), "a stack trace reached the log");
  assert.equal(
    t.logger.lines.filter((line) => line.includes("State store unavailable")).length,
    8,
  );
});
