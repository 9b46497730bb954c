import assert from "node:assert/strict";
import { generateRsaKeyPair, importRsaPublicKey } from "../crypto/rsa_keys.ts";
import { encryptOaep } from "../crypto/rsa_oaep.ts";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SEED2 = "c0ffee".repeat(10) + "abcd";

Deno.test("POST /decrypt-seed stores the seed in lower case and answers 200 ok", async () => {
  await using t = await createAppFixture();
  const response = await t.call("POST", "/decrypt-seed", {
    encrypted_seed: await t.encrypt(SEED.toUpperCase()),
  });
  assert.deepEqual(await statusAndBody(response), { status: 200, body: { status: "ok" } });
  assert.equal(await t.seedFile(), SEED);
  assert.equal(response.headers.get("cache-control"), "no-store");
  // The codes now come from this seed.
  assert.deepEqual(await statusAndBody(await t.call("GET", "/generate-2fa")), {
    status: 200,
    body: { code: "557321", valid_for: 15 },
  });
});

Deno.test("POST /decrypt-seed ignores whitespace and line breaks in the base64", async () => {
  await using t = await createAppFixture();
  const wrapped = (await t.encrypt(SEED)).match(/.{1,64}/g)!.join("\r\n") + "\n ";
  const response = await t.call("POST", "/decrypt-seed", { encrypted_seed: wrapped });
  assert.deepEqual(await statusAndBody(response), { status: 200, body: { status: "ok" } });
  assert.equal(await t.seedFile(), SEED);
});

Deno.test("POST /decrypt-seed replaces an earlier seed, and re-posting it is 200", async () => {
  await using t = await createAppFixture();
  const first = await t.encrypt(SEED);
  assert.equal((await t.call("POST", "/decrypt-seed", { encrypted_seed: first })).status, 200);
  assert.equal((await t.call("POST", "/decrypt-seed", { encrypted_seed: first })).status, 200);
  const second = await t.encrypt(SEED2);
  assert.equal((await t.call("POST", "/decrypt-seed", { encrypted_seed: second })).status, 200);
  assert.equal(await t.seedFile(), SEED2);
});

Deno.test("POST /decrypt-seed rejects every bad input and leaves the stored seed as it was", async () => {
  await using t = await createAppFixture();
  const other = await generateRsaKeyPair(2048);
  const otherKey = await importRsaPublicKey(other.spki);
  const forOtherKey = (await encryptOaep(otherKey, new TextEncoder().encode(SEED2))).toBase64();
  const missing = { status: 400, body: { error: "Missing encrypted_seed" } };
  const notJson = { status: 400, body: { error: "Request body is not valid JSON" } };
  const notObject = { status: 400, body: { error: "Request body must be a JSON object" } };
  const notString = { status: 400, body: { error: "encrypted_seed must be a string" } };
  const failed = { status: 500, body: { error: "Decryption failed" } };
  const cases: [string, unknown, { status: number; body: unknown }][] = [
    ["not JSON", "{encrypted_seed:", notJson],
    ["plain text", "hello", notJson],
    ["truncated", '{"encrypted_seed": "abc"', notJson],
    ["empty body", "", missing],
    ["JSON null", "null", notObject],
    ["JSON array", [], notObject],
    ["JSON number", 42, notObject],
    ["JSON string", '"abc"', notObject],
    ["no field", {}, missing],
    ["wrong field", { seed: "abc" }, missing],
    ["empty string", { encrypted_seed: "" }, missing],
    ["number", { encrypted_seed: 123 }, notString],
    ["null", { encrypted_seed: null }, missing],
    ["array", { encrypted_seed: ["a"] }, notString],
    ["object", { encrypted_seed: { a: 1 } }, notString],
    ["duplicate key", `{"encrypted_seed": "x", "encrypted_seed": "${await t.encrypt(SEED2)}"}`, {
      status: 400,
      body: { error: 'Duplicate key "encrypted_seed" in the JSON body' },
    }],
    ["duplicate key, escaped", '{"encrypted_seed": "x", "encrypted\\u005fseed": "y"}', {
      status: 400,
      body: { error: 'Duplicate key "encrypted_seed" in the JSON body' },
    }],
    ["not base64", { encrypted_seed: "!!!not*base64!!!" }, failed],
    ["base64url alphabet", { encrypted_seed: "ab-_" }, failed],
    ["short base64", { encrypted_seed: "aGVsbG8=" }, failed],
    ["base64 of garbage", {
      encrypted_seed: crypto.getRandomValues(new Uint8Array(256)).toBase64(),
    }, failed],
    ["for another key", { encrypted_seed: forOtherKey }, failed],
    ["plaintext not hex", { encrypted_seed: await t.encrypt("z".repeat(64)) }, failed],
    ["63 hex", { encrypted_seed: await t.encrypt(SEED2.slice(1)) }, failed],
    ["65 hex", { encrypted_seed: await t.encrypt(SEED2 + "0") }, failed],
    ["trailing newline", { encrypted_seed: await t.encrypt(SEED2 + "\n") }, failed],
    ["raw 32 bytes", { encrypted_seed: await t.encrypt(Uint8Array.fromHex(SEED2)) }, failed],
    ["not UTF-8", { encrypted_seed: await t.encrypt(new Uint8Array(64).fill(0xff)) }, failed],
  ];
  // Before any seed: nothing is created.
  for (const [name, body, expected] of cases) {
    assert.deepEqual(
      await statusAndBody(await t.call("POST", "/decrypt-seed", body)),
      expected,
      name,
    );
  }
  assert.equal(await t.seedFile(), null);
  assert.equal(t.store.seed, null);
  // With a seed: it survives every bad input, on disk and in memory.
  await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt(SEED) });
  for (const [name, body, expected] of cases) {
    assert.deepEqual(
      await statusAndBody(await t.call("POST", "/decrypt-seed", body)),
      expected,
      name,
    );
    assert.equal(await t.seedFile(), SEED, name);
  }
  assert.equal((await (await t.call("GET", "/generate-2fa")).json()).code, "557321");
});

Deno.test("POST /decrypt-seed answers 413 to a 10 MB body and keeps the seed", async () => {
  await using t = await createAppFixture();
  await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt(SEED) });
  const huge = JSON.stringify({ encrypted_seed: "A".repeat(10 * 1024 * 1024) });
  assert.deepEqual(await statusAndBody(await t.call("POST", "/decrypt-seed", huge)), {
    status: 413,
    body: { error: "Request body too large" },
  });
  // Without Content-Length (a stream), the limit holds too.
  const stream = new Blob([huge]).stream();
  const response = await t.app.request("/decrypt-seed", { method: "POST", body: stream });
  assert.deepEqual(await statusAndBody(response), {
    status: 413,
    body: { error: "Request body too large" },
  });
  assert.equal(await t.seedFile(), SEED);
});

Deno.test("POST /decrypt-seed never writes the seed or ciphertext to the logs", async () => {
  await using t = await createAppFixture();
  const ciphertext = await t.encrypt(SEED);
  await t.call("POST", "/decrypt-seed", { encrypted_seed: ciphertext });
  await t.call("POST", "/decrypt-seed", { encrypted_seed: "garbage" });
  const logs = t.logger.lines.join("\n");
  assert.ok(logs.includes("Seed stored"));
  assert.ok(!logs.includes(SEED) && !logs.includes(ciphertext.slice(0, 40)));
});
