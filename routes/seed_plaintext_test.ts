import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { opensslKeyPairPem } from "../testing/openssl.ts";
import { paramsFromBody, seedFromOtpauth, SeedPlaintextError } from "./seed_plaintext.ts";

const ADMIN = "uri-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const NOW = 1_764_000_015_000;
// RFC 6238's SHA-256 seed (32 bytes) in base32.
const SHA256_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
const URI_8_60 =
  `otpauth://totp/ACME:alice@example.com?secret=${SHA256_SECRET}&issuer=ACME&algorithm=SHA256&digits=8&period=60`;

function v1(options: Parameters<typeof createAppFixture>[0] = {}) {
  return createAppFixture({ now: NOW, ...options, security: { adminToken: ADMIN } });
}

Deno.test("seedFromOtpauth() takes the URI's parameters; the body may repeat them or fill in an issuer", () => {
  const { secret, params } = seedFromOtpauth(URI_8_60, { digits: 8, algorithm: "SHA256" });
  assert.equal(
    secret.toHex(),
    new TextEncoder().encode("12345678901234567890123456789012").toHex(),
  );
  assert.deepEqual(params, {
    algorithm: "SHA256",
    digits: 8,
    period: 60,
    issuer: "ACME",
    account_name: "alice@example.com",
  });
  assert.equal(
    seedFromOtpauth(`otpauth://totp/bob?secret=${SHA256_SECRET}`, { issuer: "Body Inc" }).params
      .issuer,
    "Body Inc",
  );
  assert.deepEqual(paramsFromBody({}), {
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    issuer: null,
    account_name: null,
  });
});

Deno.test("seedFromOtpauth() refuses a body parameter that contradicts the URI", () => {
  const cases: [Parameters<typeof seedFromOtpauth>[1], string][] = [
    [
      { algorithm: "SHA1" },
      'algorithm in the body conflicts with the otpauth URI ("SHA1" against "SHA256")',
    ],
    [{ digits: 6 }, "digits in the body conflicts with the otpauth URI (6 against 8)"],
    [{ period: 30 }, "period in the body conflicts with the otpauth URI (30 against 60)"],
    [{ issuer: "Other" }, "issuer in the body conflicts with the otpauth URI"],
    [{ account_name: "mallory" }, "account_name in the body conflicts with the otpauth URI"],
  ];
  for (const [body, message] of cases) {
    assert.throws(() => seedFromOtpauth(URI_8_60, body), new SeedPlaintextError(message));
  }
});

Deno.test("PUT seed with an otpauth URI plaintext: 201 with the URI's parameters, codes from the otpauth library", async () => {
  await using t = await v1();
  const put = await t.call("PUT", "/v1/subjects/alice/seed", {
    encrypted_seed: await t.encrypt(URI_8_60),
  }, AS_ADMIN);
  const { status, body } = await statusAndBody(put);
  assert.equal(status, 201);
  assert.deepEqual({ ...body as object, created_at: 0, updated_at: 0 }, {
    id: "alice",
    algorithm: "SHA256",
    digits: 8,
    period: 60,
    issuer: "ACME",
    account_name: "alice@example.com",
    type: "totp",
    counter: null,
    serial_no: null,
    manufacturer: null,
    created_at: 0,
    updated_at: 0,
    last_accepted_step: null,
    locked: false,
    locked_until: null,
    confirmed: true,
    recovery_codes_left: 0,
  });
  const expected = (OTPAuth.URI.parse(URI_8_60) as OTPAuth.TOTP).generate({ timestamp: NOW });
  assert.equal(expected.length, 8);
  assert.deepEqual(
    await statusAndBody(await t.call("GET", "/v1/subjects/alice/code", undefined, AS_ADMIN)),
    { status: 200, body: { code: expected, valid_for: 60 - (NOW / 1000) % 60 } },
  );
  assert.deepEqual(
    await statusAndBody(
      await t.call("POST", "/v1/subjects/alice/verify", { code: expected }, AS_ADMIN),
    ),
    { status: 200, body: { valid: true } },
  );
  assert.deepEqual(t.audit.events.filter((e) => e.event === "seed.set").map((e) => e.reason), [
    "otpauth URI",
  ]);
  assert.ok(!JSON.stringify(t.audit.events).includes(SHA256_SECRET));
});

Deno.test("PUT seed with an otpauth URI: a conflicting body or a bad URI is 400 naming it and changes nothing", async () => {
  await using t = await v1();
  assert.equal(
    (await t.call("PUT", "/v1/subjects/alice/seed", {
      encrypted_seed: await t.encrypt(URI_8_60),
    }, AS_ADMIN)).status,
    201,
  );
  const before = await (await t.call("GET", "/v1/subjects/alice/code", undefined, AS_ADMIN)).json();
  const cases: [Record<string, unknown>, string, string][] = [
    [{ digits: 6 }, URI_8_60, "digits in the body conflicts with the otpauth URI (6 against 8)"],
    [{ issuer: "Other" }, URI_8_60, "issuer in the body conflicts with the otpauth URI"],
    [{ period: 30 }, URI_8_60, "period in the body conflicts with the otpauth URI (30 against 60)"],
    [
      {},
      "otpauth://totp/x?secret=JBSWY3DP",
      "The otpauth URI has a 40-bit secret; 80 to 512 bits are accepted",
    ],
    [
      {},
      `otpauth://hotp/x?secret=${SHA256_SECRET}&counter=0`,
      "The otpauth URI is otpauth://hotp; only otpauth://totp is imported here",
    ],
    [
      {},
      `otpauth://totp/x?secret=${SHA256_SECRET}&digits=10`,
      "The otpauth URI has 10 digits; the service supports 6 or 8",
    ],
    [
      {},
      "otpauth://totp/x",
      "The otpauth URI is malformed (expected otpauth://totp/LABEL?secret=BASE32&...)",
    ],
  ];
  for (const [extra, uri, message] of cases) {
    const response = await t.call("PUT", "/v1/subjects/alice/seed", {
      encrypted_seed: await t.encrypt(uri),
      ...extra,
    }, AS_ADMIN);
    assert.deepEqual(await statusAndBody(response), { status: 400, body: { error: message } });
  }
  const after = await (await t.call("GET", "/v1/subjects/alice/code", undefined, AS_ADMIN)).json();
  assert.deepEqual(after, before);
  const rejected = t.audit.events.filter((e) => e.event === "seed.rejected");
  assert.equal(rejected.length, cases.length);
  assert.ok(rejected.every((e) => e.reason === "otpauth URI refused" && e.subject === "alice"));
  // Neither a hex seed that is too short nor garbage reveals more than before.
  assert.deepEqual(
    await statusAndBody(
      await t.call(
        "PUT",
        "/v1/subjects/alice/seed",
        { encrypted_seed: await t.encrypt("abcd") },
        AS_ADMIN,
      ),
    ),
    { status: 500, body: { error: "Decryption failed" } },
  );
});

Deno.test("PUT seed: a ciphertext longer than one RSA block is 400 stating the plaintext limit; /decrypt-seed keeps its 500", async () => {
  await using t = await v1();
  const block = Uint8Array.fromBase64(await t.encrypt("ab".repeat(32)));
  const twoBlocks = new Uint8Array([...block, ...block]).toBase64();
  assert.deepEqual(
    await statusAndBody(
      await t.call("PUT", "/v1/subjects/bob/seed", { encrypted_seed: twoBlocks }, AS_ADMIN),
    ),
    {
      status: 400,
      body: {
        error:
          "encrypted_seed is 512 bytes, more than one RSA-2048 block (256): RSA-OAEP-SHA256 carries at most 190 bytes of plaintext (hex seed or otpauth URI)",
      },
    },
  );
  assert.deepEqual(
    await statusAndBody(
      await t.call("POST", "/decrypt-seed", { encrypted_seed: twoBlocks }, AS_ADMIN),
    ),
    { status: 500, body: { error: "Decryption failed" } },
  );
  assert.equal(await t.seedFile(), null);
});

Deno.test("PUT seed: with an RSA-4096 service key a 446-byte otpauth URI fits and a longer ciphertext is 400 naming 446", async () => {
  const keys = await opensslKeyPairPem(4096);
  await using t = await v1({ keys });
  const base = `otpauth://totp/${"i".repeat(200)}:?secret=${SHA256_SECRET}&algorithm=SHA256`;
  const uri = base.replace(":?", ":" + "a".repeat(446 - base.length) + "?");
  assert.equal(new TextEncoder().encode(uri).length, 446);
  const put = await t.call("PUT", "/v1/subjects/long/seed", {
    encrypted_seed: await t.encrypt(uri),
  }, AS_ADMIN);
  assert.equal(put.status, 201);
  assert.equal((await put.json()).account_name.length, 446 - base.length);
  await assert.rejects(t.encrypt(uri + "a"), "447 bytes do not fit one RSA-4096 OAEP block");
  const block = Uint8Array.fromBase64(await t.encrypt(uri));
  assert.deepEqual(
    await statusAndBody(
      await t.call("PUT", "/v1/subjects/long/seed", {
        encrypted_seed: new Uint8Array([...block, 1]).toBase64(),
      }, AS_ADMIN),
    ),
    {
      status: 400,
      body: {
        error:
          "encrypted_seed is 513 bytes, more than one RSA-4096 block (512): RSA-OAEP-SHA256 carries at most 446 bytes of plaintext (hex seed or otpauth URI)",
      },
    },
  );
});

Deno.test("PUT default seed with an otpauth URI: SHA1, 6 digits, 30 s and 32 bytes only; the sealed seed file survives a restart", async () => {
  await using t = await v1({ atRest: "sealed" });
  const secret = Uint8Array.from({ length: 32 }, (_, i) => i);
  const base32 = new OTPAuth.Secret({ buffer: secret.slice().buffer }).base32;
  const send = async (uri: string) =>
    await t.call(
      "PUT",
      "/v1/subjects/default/seed",
      { encrypted_seed: await t.encrypt(uri) },
      AS_ADMIN,
    );
  assert.deepEqual(
    await statusAndBody(await send(`otpauth://totp/x?secret=${base32}&algorithm=SHA256`)),
    { status: 400, body: { error: "The default subject is SHA1, 6 digits, 30 seconds" } },
  );
  assert.deepEqual(
    await statusAndBody(await send(`otpauth://totp/x?secret=${base32.slice(0, 32)}`)),
    { status: 400, body: { error: "The default subject's seed is 32 bytes" } },
  );
  assert.equal((await send(`otpauth://totp/x?secret=${base32}`)).status, 201);
  const code = (await (await t.call("GET", "/generate-2fa", undefined, AS_ADMIN)).json()).code;
  assert.equal(code, "557321", "the seed 000102…1f at NOW, as in v1_routes_test.ts");
  await t.restart();
  assert.equal(
    (await (await t.call("GET", "/generate-2fa", undefined, AS_ADMIN)).json()).code,
    code,
  );
});
