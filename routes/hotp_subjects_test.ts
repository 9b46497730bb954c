import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { hotp, importHmacKey } from "../crypto/hotp.ts";
import { RFC4226_CODES, RFC4226_SECRET_HEX } from "../testing/rfc4226.ts";

const ADMIN = "v1-admin-token-0123456789";
const VERIFIER = "v1-verify-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const AS_VERIFIER = { authorization: `Bearer ${VERIFIER}` };
const COUNTER_ERROR = "counter must be a whole number from 0 to 18446744073709551615, " +
  "as a JSON number or a decimal string";
const key = await importHmacKey(Uint8Array.fromHex(RFC4226_SECRET_HEX));
const codeAt = (counter: bigint) => hotp(key, counter);

async function fixture() {
  return await createAppFixture({ security: { adminToken: ADMIN, verifyTokens: [VERIFIER] } });
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

/** PUTs an HOTP subject; `counterJson` is spliced into the body as raw JSON text. */
async function putHotp(t: Fixture, id: string, counterJson = "0", extra = "") {
  const body = `{"encrypted_seed": ${JSON.stringify(await t.encrypt(RFC4226_SECRET_HEX))}, ` +
    `"type": "hotp", "counter": ${counterJson}${extra}}`;
  return await t.call("PUT", `/v1/subjects/${id}/seed`, body, AS_ADMIN);
}

const verify = (t: Fixture, id: string, code: string, headers = AS_VERIFIER) =>
  t.call("POST", `/v1/subjects/${id}/verify`, { code }, headers).then(statusAndBody);
const counterText = async (t: Fixture, id: string) =>
  /"counter":(\d+|null)/.exec(
    await (await t.call("GET", `/v1/subjects/${id}`, undefined, AS_ADMIN)).text(),
  )?.[1];

Deno.test("HOTP subject: RFC 4226 codes verify once within the look-ahead, and the counter moves past them", async () => {
  await using t = await fixture();
  const put = await putHotp(t, "fob", "0", `, "serial_no": "000123", "manufacturer": "Feitian"`);
  assert.equal(put.status, 201);
  const meta = await put.json();
  assert.deepEqual(
    [meta.type, meta.counter, meta.serial_no, meta.manufacturer, meta.last_accepted_step],
    ["hotp", 0, "000123", "Feitian", null],
  );
  assert.deepEqual(
    await t.call("GET", "/v1/subjects/fob/code", undefined, AS_ADMIN).then(statusAndBody),
    { status: 200, body: { code: "755224", counter: 0 } },
  );
  // Counter 3 is within 0..10: accepted, and the counter becomes 4.
  assert.deepEqual(await verify(t, "fob", RFC4226_CODES[3]!), {
    status: 200,
    body: { valid: true },
  });
  assert.equal(await counterText(t, "fob"), "4");
  // The same code again, and an older one, are refused.
  assert.deepEqual(await verify(t, "fob", RFC4226_CODES[3]!), {
    status: 200,
    body: { valid: false },
  });
  assert.deepEqual(await verify(t, "fob", RFC4226_CODES[1]!), {
    status: 200,
    body: { valid: false },
  });
  assert.deepEqual(await verify(t, "fob", RFC4226_CODES[4]!), {
    status: 200,
    body: { valid: true },
  });
  // 15 is beyond 5 + 10.
  assert.deepEqual(await verify(t, "fob", await codeAt(16n)), {
    status: 200,
    body: { valid: false },
  });
  assert.deepEqual(await verify(t, "fob", await codeAt(15n)), {
    status: 200,
    body: { valid: true },
  });
  assert.equal(await counterText(t, "fob"), "16");
  assert.deepEqual(
    t.audit.events.map((e) => e.event).filter((e) => e.startsWith("verify")),
    // A used code is behind the window, so it is simply wrong (no look-back in HOTP).
    ["verify.ok", "verify.fail", "verify.fail", "verify.ok", "verify.fail", "verify.ok"],
  );
});

Deno.test("HOTP counters are exact above 2^53, as a JSON number or a decimal string, up to 2^64 - 1", async () => {
  await using t = await fixture();
  // oathtool --hotp -c 9007199254740993 (2^53 + 1) gives 354518; -c 18446744073709551605 gives 781598.
  assert.equal((await putHotp(t, "big", "9007199254740993")).status, 201);
  assert.equal(await counterText(t, "big"), "9007199254740993");
  assert.equal(
    await (await t.call("GET", "/v1/subjects/big/code", undefined, AS_ADMIN)).text(),
    '{"code":"354518","counter":9007199254740993}',
  );
  assert.equal((await putHotp(t, "top", '"18446744073709551605"')).status, 201);
  assert.deepEqual(await verify(t, "top", "781598"), { status: 200, body: { valid: true } });
  assert.equal(await counterText(t, "top"), "18446744073709551606");
  // oathtool -c 18446744073709551615: 094451, the very last counter value.
  assert.deepEqual(await verify(t, "top", "094451"), { status: 200, body: { valid: true } });
  assert.equal(
    (await t.call("GET", "/v1/subjects/top/code", undefined, AS_ADMIN).then(statusAndBody)).status,
    409,
  );
});

Deno.test("PUT seed refuses bad HOTP fields with a clear 400 and stores nothing", async () => {
  await using t = await fixture();
  const cases: [string, string, string][] = [
    ["a", "18446744073709551616", "counter must be from 0 to 18446744073709551615"],
    ["b", '"18446744073709551616"', "counter must be from 0 to 18446744073709551615"],
    ["c", "-1", COUNTER_ERROR],
    ["d", "1.5", COUNTER_ERROR],
    ["e", '"0x10"', COUNTER_ERROR],
    ["g", "null", COUNTER_ERROR],
  ];
  for (const [id, counter, error] of cases) {
    assert.deepEqual(await putHotp(t, id, counter).then(statusAndBody), {
      status: 400,
      body: { error },
    }, counter);
  }
  const totpWithCounter = await t.call("PUT", "/v1/subjects/f/seed", {
    encrypted_seed: await t.encrypt(RFC4226_SECRET_HEX),
    counter: 5,
  }, AS_ADMIN);
  assert.deepEqual(await statusAndBody(totpWithCounter), {
    status: 400,
    body: { error: "counter is only for type hotp" },
  });
  const hotpDefault = await t.call("PUT", "/v1/subjects/default/seed", {
    encrypted_seed: await t.encrypt("00".repeat(32)),
    type: "hotp",
  }, AS_ADMIN);
  assert.deepEqual(await statusAndBody(hotpDefault), {
    status: 400,
    body: { error: "The default subject is TOTP, without a device" },
  });
  const list = await t.call("GET", "/v1/subjects", undefined, AS_ADMIN).then((r) => r.json());
  assert.deepEqual(list.subjects, []);
});

Deno.test("resync: two consecutive codes within the next 100 move the counter after them; 409 otherwise", async () => {
  await using t = await fixture();
  await putHotp(t, "fob", "0");
  const resync = (codes: unknown, headers = AS_ADMIN) =>
    t.call("POST", "/v1/subjects/fob/resync", { codes }, headers).then(statusAndBody);
  const resynced = await resync([await codeAt(60n), await codeAt(61n)]);
  assert.equal(resynced.status, 200);
  assert.equal((resynced.body as { counter: number }).counter, 62);
  assert.deepEqual(await verify(t, "fob", await codeAt(62n)), {
    status: 200,
    body: { valid: true },
  });
  // 63 + 100 = 163: a pair starting at 163 is beyond reach; at 162 it is found.
  assert.deepEqual(await resync([await codeAt(163n), await codeAt(164n)]), {
    status: 409,
    body: { error: "The codes are not two consecutive codes within the next 100 counter values" },
  });
  assert.deepEqual(await resync([await codeAt(70n), await codeAt(72n)]), {
    status: 409,
    body: { error: "The codes are not two consecutive codes within the next 100 counter values" },
  });
  assert.equal((await resync([await codeAt(162n), await codeAt(163n)])).status, 200);
  assert.equal(await counterText(t, "fob"), "164");
  for (const bad of [["123456"], "123456", [1, 2], ["1", "2", "3"]]) {
    assert.deepEqual(await resync(bad), {
      status: 400,
      body: { error: 'Expected {"codes": ["code1", "code2"]}' },
    });
  }
  assert.deepEqual(await resync(["123456", "654321"], AS_VERIFIER), {
    status: 403,
    body: { error: "Forbidden" },
  });
  assert.equal((await resync(["123456", "654321"], {} as typeof AS_ADMIN)).status, 401);
  await t.call(
    "PUT",
    "/v1/subjects/totp/seed",
    { encrypted_seed: await t.encrypt(RFC4226_SECRET_HEX) },
    AS_ADMIN,
  );
  assert.deepEqual(
    await t.call("POST", "/v1/subjects/totp/resync", { codes: ["1", "2"] }, AS_ADMIN).then(
      statusAndBody,
    ),
    { status: 400, body: { error: "Only HOTP subjects are resynchronised" } },
  );
});

Deno.test("HOTP throttling: five wrong codes lock the subject, even the right code is then refused", async () => {
  await using t = await fixture();
  await putHotp(t, "fob", "0");
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(await verify(t, "fob", "000000"), { status: 200, body: { valid: false } });
  }
  const locked = await t.call(
    "POST",
    "/v1/subjects/fob/verify",
    { code: RFC4226_CODES[0] },
    AS_VERIFIER,
  );
  assert.equal(locked.status, 429);
  assert.equal(locked.headers.get("retry-after"), "30");
  const resync = await t.call("POST", "/v1/subjects/fob/resync", {
    codes: [RFC4226_CODES[0], RFC4226_CODES[1]],
  }, AS_ADMIN);
  assert.equal(resync.status, 429);
  t.clock.now += 30_000;
  assert.deepEqual(await verify(t, "fob", RFC4226_CODES[0]!), {
    status: 200,
    body: { valid: true },
  });
});

Deno.test("HOTP exactly once: 30 concurrent uses of one code on the KV store, one success", async () => {
  await using t = await fixture();
  await putHotp(t, "fob", "0");
  const results = await Promise.all(
    Array.from({ length: 30 }, () => verify(t, "fob", RFC4226_CODES[2]!)),
  );
  assert.equal(results.filter((r) => (r.body as { valid: boolean }).valid).length, 1);
  assert.equal(await counterText(t, "fob"), "3");
});

Deno.test("resync: malformed codes are a 400 that says so and count no failure (five never lock)", async () => {
  await using t = await fixture();
  await putHotp(t, "fob", "0");
  const expected = {
    status: 400,
    body: { error: "codes must be two codes of 6 digits" },
  };
  for (
    const codes of [
      ["abcdef", "123456"],
      ["12345", "123456"],
      ["1234567", "12345678"],
      ["", ""],
      [" 755224", "287082"],
      ["７５５２２４", "287082"],
    ]
  ) {
    assert.deepEqual(
      await t.call("POST", "/v1/subjects/fob/resync", { codes }, AS_ADMIN).then(statusAndBody),
      expected,
      JSON.stringify(codes),
    );
  }
  // Six malformed attempts later the subject is not locked, its counter has not moved, and the
  // audit log holds no resync.
  const meta = await (await t.call("GET", "/v1/subjects/fob", undefined, AS_ADMIN)).json();
  assert.deepEqual([meta.counter, meta.locked_until], [0, null]);
  assert.equal(t.audit.events.some((e) => e.event === "seed.resync"), false);
  assert.deepEqual(await verify(t, "fob", RFC4226_CODES[0]!), {
    status: 200,
    body: { valid: true },
  });
});
