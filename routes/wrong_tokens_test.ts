/**
 * Guessing a bearer token: before the throttle a client could try 120 tokens a minute on
 * any route that takes one (and any number with RATE_LIMIT_PER_MINUTE=0); now ten wrong
 * ones, then one every 90 s, on all of them together, and a blocked client learns nothing.
 */
import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { WRONG_TOKEN_WINDOW_MS, WRONG_TOKENS } from "../middleware/wrong_token_throttle.ts";

const ADMIN = "guarded-admin-token-0123456789";
const METRICS = "guarded-metrics-token-0123456789";
const from = (ip: string, token?: string) => ({
  "x-forwarded-for": ip,
  ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
});
const UNAUTHORIZED = { status: 401, body: { error: "Unauthorized" } };
const blocked = (seconds: number) => ({
  status: 429,
  body: { error: `Too many wrong tokens from this address; retry in ${seconds} seconds` },
});

Deno.test("wrong bearer tokens: ten are 401, then every token from that address is 429 on every route, the right one too", async () => {
  // The API's own rate limit is off, as with RATE_LIMIT_PER_MINUTE=0.
  await using t = await createAppFixture({
    security: { adminToken: ADMIN, metricsToken: METRICS, trustProxy: true },
  });
  const guesses = ["/v1/subjects", "/generate-2fa", "/metrics", "/v1/subjects/x"];
  for (let i = 0; i < WRONG_TOKENS; i++) {
    const path = guesses[i % guesses.length]!;
    assert.deepEqual(
      await statusAndBody(
        await t.call("GET", path, undefined, from("203.0.113.7", `guess-${i}-abcdefgh`)),
      ),
      UNAUTHORIZED,
      `${path} guess ${i}`,
    );
  }
  // No token at all is no guess: still a plain 401, counted nowhere.
  for (let i = 0; i < 20; i++) {
    assert.equal((await t.call("GET", "/v1/subjects", undefined, from("203.0.113.7"))).status, 401);
  }
  // The eleventh wrong token spends the budget.
  const spent = await t.call(
    "GET",
    "/v1/subjects",
    undefined,
    from("203.0.113.7", "guess-x-abcdefgh"),
  );
  assert.deepEqual(await statusAndBody(spent), blocked(90));
  assert.equal(spent.headers.get("retry-after"), "90");
  // Blocked: the right tokens get the same 429 everywhere, and nothing runs.
  for (
    const [method, path, token, body] of [
      ["GET", "/v1/subjects", ADMIN, undefined],
      ["GET", "/generate-2fa", ADMIN, undefined],
      ["POST", "/decrypt-seed", ADMIN, { encrypted_seed: await t.encrypt("00".repeat(32)) }],
      ["GET", "/metrics", METRICS, undefined],
    ] as const
  ) {
    assert.deepEqual(
      await statusAndBody(await t.call(method, path, body, from("203.0.113.7", token))),
      blocked(90),
      `${method} ${path}`,
    );
  }
  assert.equal(await t.seedFile(), null);
  assert.deepEqual(
    t.audit.events.filter((e) => e.event === "rate.limited").map((e) => [e.client, e.reason]),
    Array(5).fill(["203.0.113.7", "wrong tokens"]),
  );
  // Another address is not affected.
  assert.equal(
    (await t.call("GET", "/v1/subjects", undefined, from("198.51.100.2", ADMIN))).status,
    200,
  );
  // 90 s later one guess is back: the right token works; a wrong one blocks again at once.
  t.clock.now += WRONG_TOKEN_WINDOW_MS / WRONG_TOKENS;
  assert.equal(
    (await t.call("GET", "/v1/subjects", undefined, from("203.0.113.7", ADMIN))).status,
    200,
  );
  assert.deepEqual(
    await statusAndBody(
      await t.call("GET", "/v1/subjects", undefined, from("203.0.113.7", "guess-y-abcdefgh")),
    ),
    UNAUTHORIZED,
  );
  assert.deepEqual(
    await statusAndBody(
      await t.call("GET", "/v1/subjects", undefined, from("203.0.113.7", "guess-z-abcdefgh")),
    ),
    blocked(90),
  );
  // No response or audit event holds a token.
  assert.doesNotMatch(JSON.stringify(t.audit.events), /guess-|guarded-/);
});
