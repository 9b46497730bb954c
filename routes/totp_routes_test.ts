import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NO_SEED = { status: 500, body: { error: "Seed not decrypted yet" } };

async function withSeed(now?: number) {
  const t = await createAppFixture(now === undefined ? {} : { now });
  await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt(SEED) });
  return t;
}

Deno.test("GET /generate-2fa answers the reference code and valid_for from one clock reading", async () => {
  const table: [number, string, number][] = [
    [0, "414783", 30],
    [59_000, "555770", 1],
    [1_111_111_109_000, "678295", 1],
    [1_234_567_890_500, "232605", 30],
    [1_764_000_000_000, "557321", 30],
    [2_000_000_000_999, "440276", 10],
  ];
  await using t = await withSeed();
  for (const [now, code, validFor] of table) {
    t.clock.now = now;
    const response = await t.call("GET", "/generate-2fa");
    assert.deepEqual(await statusAndBody(response), {
      status: 200,
      body: { code, valid_for: validFor },
    });
    assert.equal(response.headers.get("cache-control"), "no-store");
  }
});

Deno.test("GET /generate-2fa before any seed is 500 Seed not decrypted yet", async () => {
  await using t = await createAppFixture();
  assert.deepEqual(await statusAndBody(await t.call("GET", "/generate-2fa")), NO_SEED);
});

Deno.test("POST /verify-2fa accepts the previous, current and next step and nothing further", async () => {
  const stepStart = 1_764_000_000_000; // step 58800000, code 557321
  await using t = await withSeed(stepStart);
  const codes: Record<number, string> = {};
  for (const delta of [-2, -1, 0, 1, 2]) {
    t.clock.now = stepStart + delta * 30_000;
    codes[delta] = (await (await t.call("GET", "/generate-2fa")).json()).code;
  }
  t.clock.now = stepStart + 15_000;
  for (
    const [delta, valid] of [[-2, false], [-1, true], [0, true], [1, true], [2, false]] as const
  ) {
    const response = await t.call("POST", "/verify-2fa", { code: codes[delta] });
    assert.deepEqual(
      await statusAndBody(response),
      { status: 200, body: { valid } },
      `delta ${delta}`,
    );
  }
  assert.equal(codes[0], "557321");
});

Deno.test("POST /verify-2fa: malformed codes are valid:false, missing ones 400 before the seed check", async () => {
  await using t = await withSeed(1_764_000_000_000);
  for (
    const code of [
      "000000",
      "55732",
      "5573210",
      " 557321",
      "557321\n",
      "５５７３２１",
      "abcdef",
      "557 321",
    ]
  ) {
    assert.deepEqual(await statusAndBody(await t.call("POST", "/verify-2fa", { code })), {
      status: 200,
      body: { valid: false },
    }, JSON.stringify(code));
  }
  const missing = { status: 400, body: { error: "Missing code" } };
  const bad = (error: string) => ({ status: 400, body: { error } });
  const cases: [unknown, { status: number; body: unknown }][] = [
    [{}, missing],
    [{ code: "" }, missing],
    [{ code: null }, missing],
    ["", missing],
    [{ code: 557321 }, bad("code must be a string of digits")],
    [{ code: ["557321"] }, bad("code must be a string of digits")],
    [[], bad("Request body must be a JSON object")],
    ["nope", bad("Request body is not valid JSON")],
    ['{"code": "000000", "code": "557321"}', bad('Duplicate key "code" in the JSON body')],
  ];
  for (const [body, expected] of cases) {
    assert.deepEqual(
      await statusAndBody(await t.call("POST", "/verify-2fa", body)),
      expected,
      JSON.stringify(body),
    );
  }
  // Without a seed: a missing code is still 400, a present one 500.
  await using empty = await createAppFixture();
  assert.deepEqual(await statusAndBody(await empty.call("POST", "/verify-2fa", {})), missing);
  assert.deepEqual(
    await statusAndBody(await empty.call("POST", "/verify-2fa", { code: "123456" })),
    NO_SEED,
  );
});

Deno.test("codes never appear in the logs", async () => {
  await using t = await withSeed(1_764_000_000_000);
  await t.call("GET", "/generate-2fa");
  await t.call("POST", "/verify-2fa", { code: "557321" });
  assert.ok(t.logger.lines.length >= 3);
  assert.ok(!t.logger.lines.join("\n").includes("557321"));
});
