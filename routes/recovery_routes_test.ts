import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { type AppFixture, createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { StateStoreUnavailableError } from "../store/state_store.ts";

const ADMIN = "recovery-admin-token-0123456789";
const VERIFIER = "recovery-verify-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const AS_VERIFIER = { authorization: `Bearer ${VERIFIER}` };
const NOW = 1_764_000_015_000;
const CODE_FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

function v1() {
  return createAppFixture({ now: NOW, security: { adminToken: ADMIN, verifyTokens: [VERIFIER] } });
}

async function enroll(t: AppFixture, id: string): Promise<OTPAuth.TOTP> {
  const response = await t.call("POST", `/v1/subjects/${id}/enroll`, {
    issuer: "ACME",
    account_name: id,
  }, AS_ADMIN);
  assert.equal(response.status, 201);
  return OTPAuth.URI.parse((await response.json()).otpauth_uri) as OTPAuth.TOTP;
}

async function generate(t: AppFixture, id: string): Promise<string[]> {
  const { status, body } = await statusAndBody(
    await t.call("POST", `/v1/subjects/${id}/recovery-codes`, undefined, AS_ADMIN),
  );
  assert.equal(status, 201);
  return (body as { recovery_codes: string[] }).recovery_codes;
}

function useCode(t: AppFixture, id: string, recovery_code: string) {
  return t.call("POST", `/v1/subjects/${id}/verify`, { recovery_code }, AS_VERIFIER);
}

async function left(t: AppFixture, id: string): Promise<number> {
  const meta = await (await t.call("GET", `/v1/subjects/${id}`, undefined, AS_VERIFIER)).json();
  return meta.recovery_codes_left;
}

Deno.test("recovery codes: ten distinct XXXX-XXXX-XXXX codes, shown once, counted in GET, audited without the codes", async () => {
  await using t = await v1();
  await enroll(t, "alice");
  assert.equal(await left(t, "alice"), 0, "none before they are made");
  const codes = await generate(t, "alice");
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const code of codes) assert.match(code, CODE_FORMAT);
  assert.equal(await left(t, "alice"), 10);
  assert.deepEqual(
    t.audit.events.filter((e) => e.event.startsWith("recovery.")).map((e) => [
      e.event,
      e.subject,
      e.remaining,
    ]),
    [["recovery.generated", "alice", 10]],
  );
  const logged = JSON.stringify([t.audit.events, t.logger.lines]);
  for (const code of codes) {
    assert.ok(!logged.includes(code) && !logged.includes(code.replaceAll("-", "")));
  }
});

Deno.test("recovery codes: each works once, in any case, with or without hyphens or spaces, with O/I/L look-alikes", async () => {
  await using t = await v1();
  await enroll(t, "alice");
  const codes = await generate(t, "alice");
  const variants = [
    (c: string) => c,
    (c: string) => c.toLowerCase(),
    (c: string) => c.replaceAll("-", ""),
    (c: string) => c.replaceAll("-", " "),
    (c: string) => ` ${c.slice(0, 7)} ${c.slice(7)} `,
    (c: string) => c.replaceAll("0", "O").replaceAll("1", "I"),
    (c: string) => c.toLowerCase().replaceAll("0", "o").replaceAll("1", "l"),
    (c: string) => c.replaceAll("1", "L").replaceAll("-", "--"),
  ];
  for (const [i, variant] of variants.entries()) {
    const typed = variant(codes[i]!);
    assert.deepEqual(await statusAndBody(await useCode(t, "alice", typed)), {
      status: 200,
      body: { valid: true, recovery_codes_left: 9 - i },
    }, typed);
    // The same code again, in the printed form: used up.
    assert.deepEqual(await statusAndBody(await useCode(t, "alice", codes[i]!)), {
      status: 200,
      body: { valid: false },
    });
    // One failure per round: the success before it reset the count, so nothing locks.
  }
  assert.equal(await left(t, "alice"), 2);
  const used = t.audit.events.filter((e) => e.event === "recovery.used");
  assert.deepEqual(used.map((e) => e.remaining), [9, 8, 7, 6, 5, 4, 3, 2]);
  assert.ok(!JSON.stringify(t.audit.events).includes(codes[0]!.slice(0, 4) + "-"));
});

Deno.test("verify: code and recovery_code together, neither, or of the wrong type are 400; a malformed recovery code is false and not counted", async () => {
  await using t = await v1();
  const alice = await enroll(t, "alice");
  const [code] = await generate(t, "alice");
  const cases: [unknown, string][] = [
    [
      { code: alice.generate({ timestamp: NOW }), recovery_code: code },
      "Send code or recovery_code, not both",
    ],
    [{}, "Missing code"],
    [{ code: null }, "Missing code"],
    [{ recovery_code: "" }, "Missing recovery_code"],
    [{ recovery_code: 42 }, "recovery_code must be a string"],
    [{ code: 123456 }, "code must be a string of digits"],
    [{ recovery_code: "A".repeat(65) }, "recovery_code must be at most 64 characters"],
    ["nonsense", "Request body is not valid JSON"],
  ];
  for (const [body, error] of cases) {
    assert.deepEqual(
      await statusAndBody(await t.call("POST", "/v1/subjects/alice/verify", body, AS_VERIFIER)),
      { status: 400, body: { error } },
    );
  }
  for (const malformed of ["hello", "0000-0000-000U", "0000-0000-00000", "x".repeat(64)]) {
    assert.deepEqual(await statusAndBody(await useCode(t, "alice", malformed)), {
      status: 200,
      body: { valid: false },
    });
  }
  // Malformed codes are not guesses: four wrong ones after them still leave the seed unlocked
  // (five failures would lock it), and the right TOTP code is accepted.
  for (let i = 0; i < 4; i++) await useCode(t, "alice", "AAAA-BBBB-CCCC");
  assert.deepEqual(
    await statusAndBody(
      await t.call("POST", "/v1/subjects/alice/verify", {
        code: alice.generate({ timestamp: NOW }),
      }, AS_VERIFIER),
    ),
    { status: 200, body: { valid: true } },
  );
  assert.deepEqual(await statusAndBody(await useCode(t, "nobody", code!)), {
    status: 404,
    body: { error: "Subject not found" },
  });
});

Deno.test("a wrong recovery code counts as a failed verification: five lock the subject, even a right code is then 429 and not used", async () => {
  await using t = await v1();
  const alice = await enroll(t, "alice");
  const codes = await generate(t, "alice");
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(await statusAndBody(await useCode(t, "alice", "AAAA-BBBB-CCCC")), {
      status: 200,
      body: { valid: false },
    });
  }
  const locked = await useCode(t, "alice", codes[0]!);
  assert.deepEqual(await statusAndBody(locked), {
    status: 429,
    body: { error: "Too many attempts" },
  });
  assert.equal(locked.headers.get("retry-after"), "30");
  const totp = await t.call("POST", "/v1/subjects/alice/verify", {
    code: alice.generate({ timestamp: NOW }),
  }, AS_VERIFIER);
  assert.equal(totp.status, 429, "the TOTP code shares the lock");
  assert.equal(await left(t, "alice"), 10, "nothing was used while locked");
  // Mixed: wrong TOTP codes and wrong recovery codes add up to the same lock.
  t.clock.now += 30_000;
  assert.deepEqual(await statusAndBody(await useCode(t, "alice", codes[0]!)), {
    status: 200,
    body: { valid: true, recovery_codes_left: 9 },
  });
  for (let i = 0; i < 2; i++) {
    await t.call("POST", "/v1/subjects/alice/verify", { code: "000000" }, AS_VERIFIER);
    await useCode(t, "alice", "AAAA-BBBB-CCCC");
  }
  await useCode(t, "alice", "AAAA-BBBB-CCCC");
  assert.equal((await useCode(t, "alice", codes[1]!)).status, 429);
  const events = t.audit.events.filter((e) => e.subject === "alice").map((e) => e.event);
  assert.ok(events.includes("verify.locked") && events.includes("verify.fail"));
});

Deno.test("recovery codes: a new set replaces the old; a new seed keeps them; deleting the subject removes them", async () => {
  await using t = await v1();
  await enroll(t, "alice");
  const first = await generate(t, "alice");
  const second = await generate(t, "alice");
  assert.deepEqual(await statusAndBody(await useCode(t, "alice", first[0]!)), {
    status: 200,
    body: { valid: false },
  });
  const replaced = await t.call("POST", "/v1/subjects/alice/enroll?replace=true", {
    issuer: "ACME",
    account_name: "alice",
  }, AS_ADMIN);
  assert.equal(replaced.status, 201);
  assert.equal(await left(t, "alice"), 10, "a new seed keeps the user's printed codes");
  assert.deepEqual(await statusAndBody(await useCode(t, "alice", second[0]!)), {
    status: 200,
    body: { valid: true, recovery_codes_left: 9 },
  });
  assert.equal((await t.call("DELETE", "/v1/subjects/alice", undefined, AS_ADMIN)).status, 204);
  await enroll(t, "alice");
  assert.equal(await left(t, "alice"), 0);
  assert.deepEqual(await statusAndBody(await useCode(t, "alice", second[1]!)), {
    status: 200,
    body: { valid: false },
  });
});

Deno.test("recovery codes for the default subject, across a restart; 404 before a seed; admin only", async () => {
  await using t = await v1();
  const notFound = { status: 404, body: { error: "Subject not found" } };
  assert.deepEqual(
    await statusAndBody(
      await t.call("POST", "/v1/subjects/default/recovery-codes", undefined, AS_ADMIN),
    ),
    notFound,
  );
  assert.deepEqual(await statusAndBody(await useCode(t, "default", "AAAA-BBBB-CCCC")), notFound);
  assert.deepEqual(
    await statusAndBody(
      await t.call("POST", "/v1/subjects/nobody/recovery-codes", undefined, AS_ADMIN),
    ),
    notFound,
  );
  assert.deepEqual(
    await statusAndBody(
      await t.call("POST", "/v1/subjects/default/recovery-codes", undefined, AS_VERIFIER),
    ),
    { status: 403, body: { error: "Forbidden" } },
  );
  await t.call(
    "POST",
    "/decrypt-seed",
    { encrypted_seed: await t.encrypt("ab".repeat(32)) },
    AS_ADMIN,
  );
  const codes = await generate(t, "default");
  assert.equal(await left(t, "default"), 10);
  await t.restart();
  assert.deepEqual(await statusAndBody(await useCode(t, "default", codes[5]!)), {
    status: 200,
    body: { valid: true, recovery_codes_left: 9 },
  });
  assert.equal(await t.seedFile(), "ab".repeat(32), "the assignment's seed is untouched");
});

Deno.test("recovery codes on KV: 60 concurrent uses of one code over HTTP give exactly one true", async () => {
  await using t = await v1();
  await enroll(t, "alice");
  const [code] = await generate(t, "alice");
  const answers = await Promise.all(
    Array.from({ length: 60 }, async () => (await useCode(t, "alice", code!)).text()),
  );
  assert.equal(answers.filter((a) => a === '{"valid":true,"recovery_codes_left":9}').length, 1);
  assert.equal(
    answers.filter((a) => a === '{"valid":false}' || a === '{"error":"Too many attempts"}').length,
    59,
  );
  assert.equal(await left(t, "alice"), 9);
});

Deno.test("the raw KV file holds no recovery code in its printed or normalised form", async () => {
  await using t = await v1();
  await enroll(t, "alice");
  await t.call(
    "POST",
    "/decrypt-seed",
    { encrypted_seed: await t.encrypt("cd".repeat(32)) },
    AS_ADMIN,
  );
  const codes = [...await generate(t, "alice"), ...await generate(t, "default")];
  const alice = await generate(t, "alice"); // the set in force; the first one is gone
  codes.push(...alice);
  await useCode(t, "alice", alice[0]!);
  t.stateStore.close();
  const read = (name: string) =>
    Deno.readFile(`${t.dataDir}/${name}`).catch(() => new Uint8Array());
  const dump = [await read("state.kv"), await read("state.kv-wal")]
    .map((bytes) => new TextDecoder("latin1").decode(bytes)).join("");
  assert.ok(dump.includes("recovery_codes"), "the dump holds the digests' records");
  for (const code of codes) {
    const normalised = code.replaceAll("-", "");
    for (const form of [code, normalised, code.toLowerCase(), normalised.toLowerCase()]) {
      assert.ok(!dump.includes(form), `${form} is readable in the store`);
    }
  }
});

Deno.test("recovery codes on an HOTP subject: the counter stays where it was; wrong codes lock it as HOTP failures do", async () => {
  await using t = await v1();
  const put = await t.call("PUT", "/v1/subjects/token/seed", {
    encrypted_seed: await t.encrypt("3132333435363738393031323334353637383930"),
    type: "hotp",
    counter: 5,
  }, AS_ADMIN);
  assert.equal(put.status, 201, await put.text());
  const before = await (await t.call("GET", "/v1/subjects/token/code", undefined, AS_ADMIN)).json();
  assert.equal(before.counter, 5);
  const codes = await generate(t, "token");
  assert.deepEqual(await statusAndBody(await useCode(t, "token", codes[0]!)), {
    status: 200,
    body: { valid: true, recovery_codes_left: 9 },
  });
  assert.deepEqual(
    await (await t.call("GET", "/v1/subjects/token/code", undefined, AS_ADMIN)).json(),
    before,
    "a recovery code does not move the HOTP counter",
  );
  for (let i = 0; i < 5; i++) await useCode(t, "token", "AAAA-BBBB-CCCC");
  const hotp = await t.call(
    "POST",
    "/v1/subjects/token/verify",
    { code: before.code },
    AS_VERIFIER,
  );
  assert.equal(hotp.status, 429, "the HOTP code shares the lock");
});

Deno.test("a delete that fails half-way never leaves recovery codes for the next subject of that id", async () => {
  await using t = await v1();
  await enroll(t, "bob");
  const [code] = await generate(t, "bob");
  // The store fails on the delete's removal of the codes (a Redis timeout, say), once.
  const store = t.stateStore;
  const setRecoveryCodes = store.setRecoveryCodes.bind(store);
  let failures = 1;
  store.setRecoveryCodes = (subject: string, digests: readonly string[]) => {
    if (digests.length === 0 && failures-- > 0) {
      return Promise.reject(new StateStoreUnavailableError({ cause: new Error("timeout") }));
    }
    return setRecoveryCodes(subject, digests);
  };
  assert.deepEqual(
    await statusAndBody(await t.call("DELETE", "/v1/subjects/bob", undefined, AS_ADMIN)),
    {
      status: 503,
      body: { error: "State store unavailable" },
    },
  );
  // Nothing changed: bob and his codes are still there, so the delete can simply be retried.
  assert.equal((await t.call("GET", "/v1/subjects/bob", undefined, AS_ADMIN)).status, 200);
  assert.equal(await left(t, "bob"), 10);
  assert.equal((await t.call("DELETE", "/v1/subjects/bob", undefined, AS_ADMIN)).status, 204);
  // A new bob (another person) does not inherit the old bob's codes.
  await enroll(t, "bob");
  assert.equal(await left(t, "bob"), 0);
  assert.deepEqual(await statusAndBody(await useCode(t, "bob", code!)), {
    status: 200,
    body: { valid: false },
  });
});

/** Runs `during` once, inside the first store call `hook` picks out, before the call itself. */
function once<A extends unknown[], R>(
  original: (...args: A) => Promise<R>,
  picks: (...args: A) => boolean,
  during: () => Promise<void>,
): (...args: A) => Promise<R> {
  let done = false;
  return async (...args: A) => {
    if (!done && picks(...args)) {
      done = true;
      await during();
    }
    return await original(...args);
  };
}

const deleteBob = async (t: AppFixture) =>
  assert.equal((await t.call("DELETE", "/v1/subjects/bob", undefined, AS_ADMIN)).status, 204);

Deno.test("recovery codes racing a delete: a set written after the delete is removed and the answer is 404", async () => {
  await using t = await v1();
  await enroll(t, "bob");
  const store = t.stateStore;
  // The new set's write waits until a whole DELETE has run (its check came first).
  store.setRecoveryCodes = once(
    store.setRecoveryCodes.bind(store),
    (_subject, digests) => digests.length > 0,
    () => deleteBob(t),
  );
  assert.deepEqual(
    await statusAndBody(
      await t.call("POST", "/v1/subjects/bob/recovery-codes", undefined, AS_ADMIN),
    ),
    { status: 404, body: { error: "Subject not found" } },
  );
  assert.equal(await store.countRecoveryCodes("bob"), 0);
});

Deno.test("recovery codes racing a delete: a set made while the delete ran goes with the subject", async () => {
  await using t = await v1();
  await enroll(t, "bob");
  const store = t.stateStore;
  let codes: string[] = [];
  // The delete has removed the codes and is about to remove the record: a new set is made.
  store.deleteRecord = once(
    store.deleteRecord.bind(store),
    (key) => key[0] === "subject_records" && key[1] === "bob",
    async () => void (codes = await generate(t, "bob")),
  );
  await deleteBob(t);
  assert.equal(codes.length, 10);
  assert.equal(await store.countRecoveryCodes("bob"), 0);
  // Another person enrolled as bob later: none of those codes works for them.
  t.clock.now += 60_000;
  await enroll(t, "bob");
  assert.equal(await left(t, "bob"), 0);
  assert.deepEqual(await statusAndBody(await useCode(t, "bob", codes[0]!)), {
    status: 200,
    body: { valid: false },
  });
});

Deno.test("recovery codes racing a delete and a new enrolment of the id: the new subject gets no codes", async () => {
  await using t = await v1();
  await enroll(t, "bob");
  const store = t.stateStore;
  store.setRecoveryCodes = once(
    store.setRecoveryCodes.bind(store),
    (_subject, digests) => digests.length > 0,
    async () => {
      await deleteBob(t);
      t.clock.now += 60_000;
      await enroll(t, "bob");
    },
  );
  assert.deepEqual(
    await statusAndBody(
      await t.call("POST", "/v1/subjects/bob/recovery-codes", undefined, AS_ADMIN),
    ),
    { status: 404, body: { error: "Subject not found" } },
  );
  assert.equal(await left(t, "bob"), 0);
});
