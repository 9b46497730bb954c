import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { seedIdOf } from "../store/seed_store.ts";

const ADMIN = "v1-admin-token-0123456789";
const VERIFIER = "v1-verify-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const AS_VERIFIER = { authorization: `Bearer ${VERIFIER}` };
const NOW = 1_764_000_015_000;

function v1() {
  return createAppFixture({ now: NOW, security: { adminToken: ADMIN, verifyTokens: [VERIFIER] } });
}

async function enroll(
  t: Awaited<ReturnType<typeof v1>>,
  id: string,
  body: Record<string, unknown> = {},
) {
  const response = await t.call("POST", `/v1/subjects/${id}/enroll`, {
    issuer: "ACME Co",
    account_name: `${id}@example.com`,
    ...body,
  }, AS_ADMIN);
  return { status: response.status, body: await response.json() };
}

Deno.test("/v1 answers 503 without ADMIN_TOKEN, 401 without a valid token, 403 for a verify token on admin routes", async () => {
  await using closed = await createAppFixture();
  assert.deepEqual(
    await statusAndBody(await closed.call("GET", "/v1/subjects", undefined, AS_ADMIN)),
    {
      status: 503,
      body: { error: "The /v1 API needs ADMIN_TOKEN" },
    },
  );
  await using t = await v1();
  for (const headers of [{}, { authorization: "Bearer wrong-token-0123456789" }]) {
    assert.deepEqual(
      await statusAndBody(await t.call("GET", "/v1/subjects/alice", undefined, headers)),
      {
        status: 401,
        body: { error: "Unauthorized" },
      },
    );
  }
  const forbidden = { status: 403, body: { error: "Forbidden" } };
  assert.deepEqual(
    await statusAndBody(await t.call("GET", "/v1/subjects", undefined, AS_VERIFIER)),
    forbidden,
  );
  assert.deepEqual(
    await statusAndBody(
      await t.call(
        "POST",
        "/v1/subjects/alice/enroll",
        { issuer: "A", account_name: "a" },
        AS_VERIFIER,
      ),
    ),
    forbidden,
  );
  assert.deepEqual(
    await statusAndBody(await t.call("GET", "/v1/subjects/alice/code", undefined, AS_VERIFIER)),
    forbidden,
  );
  assert.deepEqual(
    await statusAndBody(await t.call("DELETE", "/v1/subjects/alice", undefined, AS_VERIFIER)),
    forbidden,
  );
  // A verify token may read metadata and verify.
  assert.deepEqual(
    await statusAndBody(await t.call("GET", "/v1/subjects/alice", undefined, AS_VERIFIER)),
    {
      status: 404,
      body: { error: "Subject not found" },
    },
  );
  assert.deepEqual(
    await statusAndBody(
      await t.call("GET", `/v1/subjects/${"x".repeat(129)}`, undefined, AS_ADMIN),
    ),
    {
      status: 400,
      body: { error: "Invalid subject id" },
    },
  );
  assert.deepEqual(
    await statusAndBody(await t.call("GET", "/v1/subjects/a%20b", undefined, AS_ADMIN)),
    {
      status: 400,
      body: { error: "Invalid subject id" },
    },
  );
  assert.ok(!JSON.stringify(t.audit.events).includes(VERIFIER));
});

Deno.test("enroll: an otpauth URI the otpauth library parses, whose codes the service accepts once; 409 unless replace", async () => {
  await using t = await v1();
  const { status, body } = await enroll(t, "alice");
  assert.equal(status, 201);
  const uri = OTPAuth.URI.parse(body.otpauth_uri) as OTPAuth.TOTP;
  assert.equal(uri.issuer, "ACME Co");
  assert.equal(uri.label, "alice@example.com");
  assert.equal(uri.algorithm, "SHA1");
  assert.equal(uri.digits, 6);
  assert.equal(uri.period, 30);
  assert.equal(uri.secret.bytes.length, 20);
  assert.match(
    body.otpauth_uri,
    /^otpauth:\/\/totp\/ACME%20Co:alice%40example\.com\?secret=[A-Z2-7]{32}&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30$/,
  );
  assert.deepEqual(
    { ...body, otpauth_uri: "", qr_svg: "" },
    {
      id: "alice",
      algorithm: "SHA1",
      digits: 6,
      period: 30,
      issuer: "ACME Co",
      account_name: "alice@example.com",
      type: "totp",
      counter: null,
      serial_no: null,
      manufacturer: null,
      created_at: new Date(NOW).toISOString(),
      updated_at: new Date(NOW).toISOString(),
      last_accepted_step: null,
      locked: false,
      locked_until: null,
      confirmed: true,
      otpauth_uri: "",
      qr_svg: "",
    },
  );
  const code = uri.generate({ timestamp: NOW });
  const verify = (c: string, headers = AS_VERIFIER) =>
    t.call("POST", "/v1/subjects/alice/verify", { code: c }, headers);
  assert.deepEqual(await statusAndBody(await verify(code)), { status: 200, body: { valid: true } });
  assert.deepEqual(await statusAndBody(await verify(code)), {
    status: 200,
    body: { valid: false },
  });
  const meta = await (await t.call("GET", "/v1/subjects/alice", undefined, AS_VERIFIER)).json();
  assert.equal(meta.last_accepted_step, NOW / 1000 / 30 | 0);
  assert.equal((await enroll(t, "alice")).status, 409);
  const replaced = await t.call("POST", "/v1/subjects/alice/enroll?replace=true", {
    issuer: "ACME Co",
    account_name: "alice",
  }, AS_ADMIN);
  assert.equal(replaced.status, 201);
  const newUri = OTPAuth.URI.parse((await replaced.json()).otpauth_uri) as OTPAuth.TOTP;
  assert.notEqual(newUri.secret.base32, uri.secret.base32);
  assert.deepEqual(await statusAndBody(await verify(newUri.generate({ timestamp: NOW }))), {
    status: 200,
    body: { valid: true },
  });
});

Deno.test("enroll SHA256 / 8 digits / 60 s and SHA512: the otpauth library's codes are accepted", async () => {
  await using t = await v1();
  for (
    const [id, algorithm, digits, period, bytes] of [["s256", "SHA256", 8, 60, 32], [
      "s512",
      "SHA512",
      6,
      30,
      64,
    ]] as const
  ) {
    const { status, body } = await enroll(t, id, { algorithm, digits, period });
    assert.equal(status, 201);
    const uri = OTPAuth.URI.parse(body.otpauth_uri) as OTPAuth.TOTP;
    assert.deepEqual([uri.algorithm, uri.digits, uri.period, uri.secret.bytes.length], [
      algorithm,
      digits,
      period,
      bytes,
    ]);
    const code = uri.generate({ timestamp: NOW });
    assert.deepEqual(
      (await (await t.call("GET", `/v1/subjects/${id}/code`, undefined, AS_ADMIN)).json()).code,
      code,
    );
    assert.deepEqual(
      await statusAndBody(await t.call("POST", `/v1/subjects/${id}/verify`, { code }, AS_ADMIN)),
      {
        status: 200,
        body: { valid: true },
      },
    );
  }
});

Deno.test("PUT seed: an encrypted 40-hex seed is 201, a replacement 200, codes match oathtool, state resets", async () => {
  await using t = await v1();
  const seed = "3132333435363738393031323334353637383930";
  const put = async (hex: string) =>
    await t.call("PUT", "/v1/subjects/bob/seed", {
      encrypted_seed: await t.encrypt(hex),
      issuer: "ACME",
      account_name: "bob",
    }, AS_ADMIN);
  const first = await put(seed);
  assert.equal(first.status, 201);
  assert.deepEqual({ ...(await first.json()), created_at: 0, updated_at: 0 }, {
    id: "bob",
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    issuer: "ACME",
    account_name: "bob",
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
  // oathtool's code at NOW (e2e/interop/oathtool_test.ts asks oathtool itself).
  const expected = "030543";
  const { code } = await (await t.call("GET", "/v1/subjects/bob/code", undefined, AS_ADMIN)).json();
  assert.equal(code, expected);
  assert.equal(
    await (await t.call("POST", "/v1/subjects/bob/verify", { code }, AS_ADMIN)).text(),
    '{"valid":true}',
  );
  for (let i = 0; i < 5; i++) {
    await t.call("POST", "/v1/subjects/bob/verify", { code: "000000" }, AS_ADMIN);
  }
  assert.equal((await t.call("POST", "/v1/subjects/bob/verify", { code }, AS_ADMIN)).status, 429);
  // Another subject is not locked by bob's failures.
  await enroll(t, "carol");
  assert.equal(
    (await t.call("POST", "/v1/subjects/carol/verify", { code: "000000" }, AS_ADMIN)).status,
    200,
  );
  // Replacing the seed resets bob's replay mark and lock.
  const second = await put(seed.replace("31", "41"));
  assert.equal(second.status, 200);
  const meta = await second.json();
  assert.deepEqual([meta.last_accepted_step, meta.locked], [null, false]);
  const bad = await t.call("PUT", "/v1/subjects/bob/seed", {
    encrypted_seed: await t.encrypt("abcd"),
  }, AS_ADMIN);
  assert.deepEqual(await statusAndBody(bad), { status: 500, body: { error: "Decryption failed" } });
  assert.deepEqual(
    await statusAndBody(
      await t.call("PUT", "/v1/subjects/bob/seed", { encrypted_seed: "x", digits: 7 }, AS_ADMIN),
    ),
    { status: 400, body: { error: "digits must be 6 or 8" } },
  );
});

Deno.test("list pages through subjects with a cursor; delete removes a subject and its state", async () => {
  await using t = await v1();
  const uris: Record<string, string> = {};
  for (const id of ["a", "b", "c", "d", "e"]) {
    const enrolled = await enroll(t, id);
    assert.equal(enrolled.status, 201);
    uris[id] = enrolled.body.otpauth_uri;
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
    const page = await (await t.call("GET", `/v1/subjects${query}`, undefined, AS_ADMIN)).json();
    seen.push(...page.subjects.map((s: { id: string }) => s.id));
    assert.ok(!JSON.stringify(page).includes("sealed"));
    cursor = page.next_cursor;
    pages++;
  } while (cursor !== null);
  assert.deepEqual(seen, ["a", "b", "c", "d", "e"]);
  assert.equal(pages, 3);
  assert.deepEqual(
    await statusAndBody(await t.call("GET", "/v1/subjects?limit=0", undefined, AS_ADMIN)),
    {
      status: 400,
      body: { error: "limit must be a whole number from 1 to 200" },
    },
  );
  assert.deepEqual(
    await statusAndBody(await t.call("GET", "/v1/subjects?cursor=garbage", undefined, AS_ADMIN)),
    { status: 400, body: { error: "Invalid cursor" } },
  );
  // A failure gives c a state; deleting c removes it.
  await t.call("POST", "/v1/subjects/c/verify", { code: "000000" }, AS_ADMIN);
  const cSeedId = await seedIdOf(OTPAuth.URI.parse(uris.c!).secret.hex.toLowerCase());
  assert.equal((await t.stateStore.getVerification("c", cSeedId))?.failures, 1);
  assert.equal((await t.call("DELETE", "/v1/subjects/c", undefined, AS_ADMIN)).status, 204);
  assert.equal((await t.call("GET", "/v1/subjects/c", undefined, AS_ADMIN)).status, 404);
  assert.equal((await t.call("DELETE", "/v1/subjects/c", undefined, AS_ADMIN)).status, 404);
  assert.equal(await t.stateStore.getVerification("c", cSeedId), null);
});

Deno.test("the default subject is the assignment's seed: one credential, one replay mark", async () => {
  await using t = await v1();
  await t.call("POST", "/decrypt-seed", {
    encrypted_seed: await t.encrypt(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    ),
  }, AS_ADMIN);
  const meta = await (await t.call("GET", "/v1/subjects/default", undefined, AS_VERIFIER)).json();
  assert.deepEqual([meta.algorithm, meta.digits, meta.period, meta.created_at], [
    "SHA1",
    6,
    30,
    null,
  ]);
  const { code } = await (await t.call("GET", "/v1/subjects/default/code", undefined, AS_ADMIN))
    .json();
  assert.equal(code, "557321");
  assert.equal(
    await (await t.call("POST", "/v1/subjects/default/verify", { code }, AS_VERIFIER)).text(),
    '{"valid":true}',
  );
  assert.equal(
    await (await t.call("POST", "/verify-2fa", { code })).text(),
    '{"valid":false}',
    "already used through /v1",
  );
  assert.equal((await t.call("DELETE", "/v1/subjects/default", undefined, AS_ADMIN)).status, 400);
  assert.equal(
    (await t.call(
      "POST",
      "/v1/subjects/default/enroll",
      { issuer: "a", account_name: "b" },
      AS_ADMIN,
    )).status,
    400,
  );
  const put = await t.call("PUT", "/v1/subjects/default/seed", {
    encrypted_seed: await t.encrypt("ab".repeat(32)),
  }, AS_ADMIN);
  assert.equal(put.status, 200);
  assert.equal(await t.seedFile(), "ab".repeat(32));
});

Deno.test("a dump of the state store holds no enrolled seed in any encoding", async () => {
  await using t = await v1();
  const secrets: Uint8Array[] = [];
  for (const [i, algorithm] of ["SHA1", "SHA256", "SHA512", "SHA1"].entries()) {
    const { body } = await enroll(t, `user${i}`, { algorithm });
    secrets.push((OTPAuth.URI.parse(body.otpauth_uri) as OTPAuth.TOTP).secret.bytes);
  }
  const hex40 = "3132333435363738393031323334353637383940";
  await t.call(
    "PUT",
    "/v1/subjects/pki/seed",
    { encrypted_seed: await t.encrypt(hex40) },
    AS_ADMIN,
  );
  secrets.push(Uint8Array.fromHex(hex40));
  t.stateStore.close();
  const raw = await Deno.readFile(`${t.dataDir}/state.kv`);
  const walRaw = await Deno.readFile(`${t.dataDir}/state.kv-wal`).catch(() => new Uint8Array(0));
  const dump = new TextDecoder("latin1").decode(raw) + new TextDecoder("latin1").decode(walRaw);
  assert.ok(dump.includes("user0") && dump.includes("sealed_seed"), "the dump is the store");
  for (const secret of secrets) {
    for (
      const encoded of [
        secret.toHex(),
        secret.toHex().toUpperCase(),
        secret.toBase64(),
        new OTPAuth.Secret({ buffer: secret.slice().buffer }).base32,
      ]
    ) {
      assert.ok(!dump.includes(encoded.replace(/=+$/, "")), "a seed is readable in the store");
    }
    assert.ok(
      !dump.includes(new TextDecoder("latin1").decode(secret)),
      "raw seed bytes in the store",
    );
  }
  t.stateStore = await (await import("../store/kv_state_store.ts")).KvStateStore.open(":memory:");
});
