/**
 * Property-based fuzzing of every route with fast-check: arbitrary methods, paths,
 * content types and bodies (JSON values, strings, huge and deeply nested documents, and
 * now and then a real encrypted seed). Whatever arrives:
 * - the status is one the contract lists for that route, with that status's message;
 * - every error body is exactly `{"error": "<string>"}`;
 * - no stack trace or internal text reaches the client;
 * - the stored seed changes only on a successful `POST /decrypt-seed`.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { createAppFixture } from "../testing/app_fixture.ts";

const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? "2500");
const PATHS = ["/decrypt-seed", "/generate-2fa", "/verify-2fa", "/health"];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/**
 * For each route, every status it may answer and the error messages that go with it (one
 * message, or a pattern for a status with several).
 */
type Answers = Record<number, string | RegExp | null>;
const TOO_LARGE: Answers = { 413: "Request body too large" };
const NO_SEED = "Seed not decrypted yet";
/** The messages of a 400 for a bad body, whose field must be `field`. */
function badBody(field: string, wrongType: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(
    `^(?:Missing ${field}|${escape(wrongType)}|Request body is not valid JSON|` +
      `Request body must be a JSON object|Duplicate key ".*" in the JSON body)$`,
    "s",
  );
}
const ROUTES: Record<string, Answers> = {
  "POST /decrypt-seed": {
    200: null,
    400: badBody("encrypted_seed", "encrypted_seed must be a string"),
    401: "Invalid seed signature",
    500: "Decryption failed",
    ...TOO_LARGE,
  },
  "GET /generate-2fa": { 200: null, 500: NO_SEED, ...TOO_LARGE },
  "HEAD /generate-2fa": { 200: null, 500: NO_SEED, ...TOO_LARGE },
  "POST /verify-2fa": {
    200: null,
    400: badBody("code", "code must be a string of digits"),
    429: "Too many attempts",
    500: NO_SEED,
    ...TOO_LARGE,
  },
  "GET /health": { 200: null, ...TOO_LARGE },
  "HEAD /health": { 200: null, ...TOO_LARGE },
};
const WRONG_METHOD: Answers = { 405: "Method not allowed", ...TOO_LARGE };
const NOT_FOUND: Answers = { 404: "Not found", ...TOO_LARGE };
const LEAKS = /\bat \S+ \(|Error:|file:\/\/|\/work\/|\/tmp\/|node_modules|\.ts\b|stack|undefined/;

interface FuzzRequest {
  method: string;
  path: string;
  contentType: string | null;
  body: string | null;
}

/** A fresh service with a few real encrypted seeds for the generators to use. */
async function fuzzContext() {
  const t = await createAppFixture();
  const seeds = Array.from({ length: 4 }, () => crypto.getRandomValues(new Uint8Array(32)).toHex());
  const ciphertexts = await Promise.all(seeds.map((seed) => t.encrypt(seed)));
  const body = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string(),
    fc.string({ unit: "binary", maxLength: 300 }),
    fc.record({ encrypted_seed: fc.jsonValue() }).map((v) => JSON.stringify(v)),
    fc.record({ encrypted_seed: fc.base64String({ maxLength: 700 }) }).map((v) =>
      JSON.stringify(v)
    ),
    fc.record({
      code: fc.oneof(fc.jsonValue(), fc.stringMatching(/^\d{6}$/), fc.string({ maxLength: 8 })),
    })
      .map((v) => JSON.stringify(v)),
    fc.constantFrom(...ciphertexts).map((encrypted_seed) => JSON.stringify({ encrypted_seed })),
    fc.record({ encrypted_seed: fc.constantFrom(...ciphertexts), signature: fc.jsonValue() })
      .map((v) => JSON.stringify(v)),
    fc.integer({ min: 1, max: 40_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth)),
    fc.integer({ min: 1, max: 20_000 }).map((depth) =>
      '{"a":'.repeat(depth) + "1" + "}".repeat(depth)
    ),
    fc.integer({ min: 60_000, max: 300_000 }).map((size) =>
      JSON.stringify({ encrypted_seed: "A".repeat(size) })
    ),
  );
  const request: fc.Arbitrary<FuzzRequest> = fc.record({
    method: fc.oneof(fc.constantFrom(...METHODS), fc.constantFrom("POST", "GET")),
    path: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...PATHS) },
      { weight: 1, arbitrary: fc.webPath() },
      { weight: 1, arbitrary: fc.constantFrom(...PATHS).map((p) => p + "/x") },
    ),
    contentType: fc.option(
      fc.oneof(
        fc.constantFrom(
          "application/json",
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data",
        ),
        fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
      ),
    ),
    body: fc.option(body),
  });
  return { t, seeds, ciphertexts, request, statuses: new Map<number, number>() };
}

type FuzzContext = Awaited<ReturnType<typeof fuzzContext>>;

async function check(ctx: FuzzContext, input: fc.Arbitrary<FuzzRequest>): Promise<void> {
  const { t, seeds, ciphertexts, statuses } = ctx;
  let expectedSeed = await t.seedFile();
  await fc.assert(
    fc.asyncProperty(input, async ({ method, path, contentType, body }) => {
      const headers: Record<string, string> = contentType === null
        ? {}
        : { "content-type": contentType };
      const hasBody = body !== null && method !== "GET" && method !== "HEAD";
      const response = await t.app.request(path, { method, headers, ...(hasBody ? { body } : {}) });
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const route = `${method} ${path}`;
      // The fixture has no ADMIN_TOKEN, so /v1 and everything under it is closed ("/v1/*"
      // matches /v1 itself).
      const allowed: Answers = !METHODS.includes(method)
        ? { 501: "Method not implemented" }
        : path === "/v1" || path.startsWith("/v1/")
        ? { 503: "The /v1 API needs ADMIN_TOKEN" }
        : ROUTES[route] ?? (PATHS.includes(path) ? WRONG_METHOD : NOT_FOUND);
      assert.ok(response.status in allowed, `${route} answered ${response.status}: ${text}`);
      if (method !== "HEAD") {
        const parsed = JSON.parse(text);
        if (response.status >= 400) {
          const expected = allowed[response.status];
          assert.deepEqual(Object.keys(parsed), ["error"], `${route}: ${text}`);
          if (expected instanceof RegExp) assert.match(parsed.error, expected, `${route}: ${text}`);
          else assert.equal(parsed.error, expected, `${route}: ${text}`);
        }
      }
      assert.doesNotMatch(text, LEAKS, text);
      if (route === "POST /decrypt-seed" && response.status === 200) {
        expectedSeed = seeds[ciphertexts.indexOf(JSON.parse(body!).encrypted_seed)]!;
      }
      assert.equal(await t.seedFile(), expectedSeed, `${route} changed the seed`);
    }),
    { numRuns: RUNS },
  );
}

async function fuzz(
  input: (ctx: FuzzContext) => fc.Arbitrary<FuzzRequest>,
  after?: (ctx: FuzzContext) => void,
) {
  const ctx = await fuzzContext();
  try {
    await check(ctx, input(ctx));
    after?.(ctx);
  } finally {
    await ctx.t[Symbol.asyncDispose]();
  }
}

function reached(ctx: FuzzContext, expected: number[]): void {
  for (const status of expected) {
    assert.ok(
      (ctx.statuses.get(status) ?? 0) > 0,
      `no ${status} in ${JSON.stringify([...ctx.statuses])}`,
    );
  }
}

Deno.test(`fuzz: ${RUNS} requests over every route keep the contract`, async () => {
  await fuzz((ctx) => ctx.request, (ctx) => reached(ctx, [200, 400, 404, 405, 413, 500]));
});

Deno.test(`fuzz: ${RUNS} POST /decrypt-seed bodies never change the seed unless one decrypts`, async () => {
  await fuzz(
    (ctx) => ctx.request.map((r) => ({ ...r, method: "POST", path: "/decrypt-seed" })),
    (ctx) => reached(ctx, [200, 400, 401, 413, 500]),
  );
});

Deno.test(`fuzz: ${RUNS} POST /verify-2fa bodies with a seed in place`, async () => {
  await fuzz((ctx) => {
    const seeded = fc.constant({
      method: "POST",
      path: "/decrypt-seed",
      contentType: null,
      body: JSON.stringify({ encrypted_seed: ctx.ciphertexts[0] }),
    });
    const verify = ctx.request.map((r) => ({ ...r, method: "POST", path: "/verify-2fa" }));
    return fc.oneof({ weight: 1, arbitrary: seeded }, { weight: 20, arbitrary: verify });
  }, (ctx) => reached(ctx, [200, 400, 413]));
});

Deno.test(`fuzz: ${RUNS} requests with arbitrary methods and paths`, async () => {
  // Made-up methods too (Request refuses CONNECT, TRACE and TRACK, so they cannot be sent).
  const madeUp = fc.stringMatching(/^[A-Z][A-Z_-]{0,40}$/)
    .filter((m) => !["CONNECT", "TRACE", "TRACK"].includes(m));
  await fuzz(() =>
    fc.record({
      method: fc.oneof(fc.constantFrom(...METHODS), madeUp),
      path: fc.oneof(fc.webPath(), fc.constantFrom(...PATHS)),
      contentType: fc.constant(null),
      body: fc.option(fc.string({ maxLength: 200 })),
    }), (ctx) => reached(ctx, [200, 404, 405, 501]));
});
