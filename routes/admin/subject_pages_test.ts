/**
 * The subjects list (paging, search, the default subject) and a subject's page with its
 * actions: unlock (also many at once), delete behind its confirmation, recovery codes shown
 * once, and export when EXPORT_ENABLED.
 */
import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { createAppFixture } from "../../testing/app_fixture.ts";
import {
  CONSOLE_ADMIN_TOKEN,
  ConsoleClient,
  errorsOf,
  noticeOf,
  tableRows,
  textOf,
} from "../../testing/console_client.ts";
import {
  generateRsaKeyPair,
  importRsaPrivateKey,
  privateKeyPemToPkcs8,
} from "../../crypto/rsa_keys.ts";
import { decryptOaep } from "../../crypto/rsa_oaep.ts";
import { PAGE_SIZE } from "./subject_list_page.tsx";

const AS_ADMIN = { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}` };
const ASSIGNMENT_SEED = "3132333435363738393031323334353637383930313233343536373839303132";

async function signedIn(security = {}) {
  const t = await createAppFixture({ security: { adminToken: CONSOLE_ADMIN_TOKEN, ...security } });
  const browser = new ConsoleClient(t.app);
  await browser.signIn();
  return Object.assign(t, { browser });
}

type Fixture = Awaited<ReturnType<typeof signedIn>>;

/** Enrols through the API and returns the subject's TOTP. */
async function enrol(t: Fixture, id: string, issuer = "ACME"): Promise<OTPAuth.TOTP> {
  const response = await t.call("POST", `/v1/subjects/${id}/enroll`, {
    issuer,
    account_name: `${id}@example.com`,
  }, AS_ADMIN);
  assert.equal(response.status, 201);
  return OTPAuth.URI.parse((await response.json()).otpauth_uri) as OTPAuth.TOTP;
}

async function lock(t: Fixture, id: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await t.call("POST", `/v1/subjects/${id}/verify`, { code: "000000" }, AS_ADMIN);
  }
  assert.equal(
    (await t.call("POST", `/v1/subjects/${id}/verify`, { code: "000000" }, AS_ADMIN)).status,
    429,
  );
}

Deno.test("the list: every column, pages of 25 with a next link, and the default subject first", async () => {
  await using t = await signedIn();
  const empty = await t.browser.get("/admin/subjects");
  assert.equal(
    textOf(/<main id="main">([\s\S]*)<\/main>/.exec(empty.html)![1]!).endsWith(
      "No subjects yet. Enrol one .",
    ),
    true,
  );
  const ids = Array.from({ length: PAGE_SIZE + 5 }, (_, i) => `user${String(i).padStart(2, "0")}`);
  for (const id of ids) await enrol(t, id);
  const alice = await enrol(t, "alice");
  await t.call("POST", "/v1/subjects/alice/verify", {
    code: alice.generate({ timestamp: t.clock.now }),
  }, AS_ADMIN);
  await t.call("POST", "/v1/subjects/alice/recovery-codes", undefined, AS_ADMIN);
  await lock(t, "user00");

  const first = await t.browser.get("/admin/subjects");
  const rows = tableRows(first.html);
  assert.equal(rows.length, PAGE_SIZE);
  const step = Math.floor(t.clock.now / 30_000);
  const stepTime = new Date(step * 30_000).toISOString().slice(0, 19).replace("T", " ");
  assert.equal(rows[0], `alice TOTP SHA1, 6 digits, 30 s — none ${stepTime} UTC 10`);
  const lockedUntil = new Date(t.clock.now + 30_000).toISOString().slice(0, 19).replace("T", " ");
  assert.equal(rows[1], `user00 TOTP SHA1, 6 digits, 30 s ${lockedUntil} UTC — none 0`);
  assert.match(first.html, /<th scope="col">Recovery codes left<\/th>/);
  assert.match(first.html, /<td data-label="Last accepted use">/);
  const next = /<a href="(\/admin\/subjects\?cursor=[^"]+)">Next page<\/a>/.exec(first.html)![1]!;
  const second = await t.browser.get(next.replaceAll("&amp;", "&"));
  assert.deepEqual(
    tableRows(second.html).map((row) => row.split(" ")[0]),
    ids.slice(PAGE_SIZE - 1),
  );
  assert.doesNotMatch(second.html, /Next page/);
  assert.match(second.html, /<a href="\/admin\/subjects">First page<\/a>/);
  assert.equal((await t.browser.get("/admin/subjects?cursor=garbage")).status, 400);

  // The default subject is listed first once it has a seed.
  const seeded = await t.call("POST", "/decrypt-seed", {
    encrypted_seed: await t.encrypt(ASSIGNMENT_SEED),
  }, AS_ADMIN);
  assert.equal(seeded.status, 200);
  const withDefault = tableRows((await t.browser.get("/admin/subjects")).html);
  assert.equal(withDefault.length, PAGE_SIZE + 1);
  assert.equal(withDefault[0], "default TOTP SHA1, 6 digits, 30 s — none — none 0");
});

Deno.test("search: id, issuer or account name, case-insensitive; the text comes back escaped", async () => {
  await using t = await signedIn();
  for (const id of ["alice", "alicia", "bob", "carol"]) {
    await enrol(t, id, id === "bob" ? "Globex" : "ACME");
  }
  const byId = await t.browser.get("/admin/subjects?q=ALI");
  assert.deepEqual(tableRows(byId.html).map((row) => row.split(" ")[0]), ["alice", "alicia"]);
  assert.match(byId.html, /<input id="q" name="q" type="search" value="ALI"/);
  const byIssuer = await t.browser.get("/admin/subjects?q=globex");
  assert.deepEqual(tableRows(byIssuer.html).map((row) => row.split(" ")[0]), ["bob"]);
  const byAccount = await t.browser.get("/admin/subjects?q=carol%40example");
  assert.deepEqual(tableRows(byAccount.html).map((row) => row.split(" ")[0]), ["carol"]);
  const none = await t.browser.get(
    `/admin/subjects?q=${encodeURIComponent('"><script>x</script>')}`,
  );
  assert.equal(none.status, 200);
  assert.doesNotMatch(none.html, /<script>/);
  assert.match(none.html, /No subjects match on this page\./);
  const long = await t.browser.get(`/admin/subjects?q=${"a".repeat(5000)}`);
  assert.equal(long.status, 200);
  assert.match(long.html, new RegExp(`value="${"a".repeat(128)}"`));
});

Deno.test("unlock: clears the failures and the lock, audited; the next right code is accepted", async () => {
  await using t = await signedIn();
  const bob = await enrol(t, "bob");
  await lock(t, "bob");
  const detail = await t.browser.get("/admin/subjects/bob");
  assert.match(
    textOf(detail.html),
    /Failed attempts 5 Locked until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
  );
  const unlocked = await t.browser.post("/admin/subjects/bob/unlock");
  assert.equal(unlocked.status, 303);
  assert.equal(unlocked.headers.get("location"), "/admin/subjects/bob?done=unlocked");
  const event = t.audit.events.at(-1)!;
  assert.deepEqual(event, {
    event: "subject.unlocked",
    requestId: event.requestId,
    client: "unknown",
    subject: "bob",
    reason: "failures cleared",
  });
  const after = await t.browser.get("/admin/subjects/bob?done=unlocked");
  assert.equal(noticeOf(after.html), "Unlocked: the failure count and the lock are cleared.");
  assert.match(textOf(after.html), /Failed attempts 0 Locked until — none/);
  assert.deepEqual(
    await (await t.call("POST", "/v1/subjects/bob/verify", {
      code: bob.generate({ timestamp: t.clock.now }),
    }, AS_ADMIN)).json(),
    { valid: true },
  );
  const again = await t.browser.post("/admin/subjects/bob/unlock");
  assert.equal(again.headers.get("location"), "/admin/subjects/bob?done=not-locked");
  assert.equal(t.audit.events.at(-1)?.reason, "nothing to clear");
  assert.equal((await t.browser.post("/admin/subjects/ghost/unlock")).status, 404);
  assert.equal((await t.browser.post("/admin/subjects/default/unlock")).status, 404, "no seed yet");
});

Deno.test("concurrent unlocks of one locked subject: all answer, exactly one cleared the lock", async () => {
  await using t = await signedIn();
  await enrol(t, "carol");
  await lock(t, "carol");
  const results = await Promise.all(
    Array.from({ length: 12 }, () => t.browser.post("/admin/subjects/carol/unlock")),
  );
  const locations = results.map((r) => `${r.status} ${r.headers.get("location")}`);
  assert.deepEqual(
    locations.toSorted(),
    [
      "303 /admin/subjects/carol?done=not-locked",
      ...Array(10).fill("303 /admin/subjects/carol?done=not-locked"),
      "303 /admin/subjects/carol?done=unlocked",
    ].toSorted(),
  );
  const reasons = t.audit.events.filter((e) => e.event === "subject.unlocked").map((e) => e.reason);
  assert.equal(reasons.filter((r) => r === "failures cleared").length, 1);
  assert.equal(reasons.length, 12);
});

Deno.test("delete asks first, then removes the subject and its recovery codes; default cannot go", async () => {
  await using t = await signedIn();
  await enrol(t, "dave");
  await t.call("POST", "/v1/subjects/dave/recovery-codes", undefined, AS_ADMIN);
  const detail = await t.browser.get("/admin/subjects/dave");
  assert.match(
    detail.html,
    /<a class="button" href="\/admin\/subjects\/dave\/delete">Delete dave…<\/a>/,
  );
  const ask = await t.browser.get("/admin/subjects/dave/delete");
  assert.equal(ask.status, 200);
  assert.match(textOf(ask.html), /Delete dave\? .* This cannot be undone\. Delete dave Keep it/);
  assert.equal(
    (await t.call("GET", "/v1/subjects/dave", undefined, AS_ADMIN)).status,
    200,
    "asking changed nothing",
  );
  const gone = await t.browser.post("/admin/subjects/dave/delete");
  assert.equal(gone.status, 303);
  assert.equal(gone.headers.get("location"), "/admin/subjects?done=deleted");
  assert.equal(
    noticeOf((await t.browser.get("/admin/subjects?done=deleted")).html),
    "The subject was deleted.",
  );
  assert.equal(t.audit.events.at(-1)?.event, "subject.deleted");
  assert.equal((await t.call("GET", "/v1/subjects/dave", undefined, AS_ADMIN)).status, 404);
  assert.equal(await t.stateStore.countRecoveryCodes("dave"), 0);
  assert.equal((await t.browser.post("/admin/subjects/dave/delete")).status, 404);
  assert.equal((await t.browser.get("/admin/subjects/dave")).status, 404);
  await t.call(
    "POST",
    "/decrypt-seed",
    { encrypted_seed: await t.encrypt(ASSIGNMENT_SEED) },
    AS_ADMIN,
  );
  assert.equal((await t.browser.get("/admin/subjects/default/delete")).status, 404);
  const refused = await t.browser.post("/admin/subjects/default/delete");
  assert.equal(refused.status, 400);
  assert.equal(
    errorsOf(refused.html),
    "There is a problem: The default subject cannot be deleted.",
  );
  assert.doesNotMatch((await t.browser.get("/admin/subjects/default")).html, /Delete default/);
});

Deno.test("recovery codes: ten shown once (201), earlier ones void, audited without the codes", async () => {
  await using t = await signedIn();
  await enrol(t, "erin");
  const made = await t.browser.post("/admin/subjects/erin/recovery-codes");
  assert.equal(made.status, 201);
  const codes = [...made.html.matchAll(/<li>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})<\/li>/g)].map((
    m,
  ) => m[1]!);
  assert.equal(codes.length, 10);
  assert.deepEqual(
    await (await t.call("POST", "/v1/subjects/erin/verify", { recovery_code: codes[3] }, AS_ADMIN))
      .json(),
    { valid: true, recovery_codes_left: 9 },
  );
  assert.match(textOf((await t.browser.get("/admin/subjects/erin")).html), /Recovery codes left 9/);
  await t.browser.post("/admin/subjects/erin/recovery-codes");
  assert.deepEqual(
    await (await t.call("POST", "/v1/subjects/erin/verify", { recovery_code: codes[4] }, AS_ADMIN))
      .json(),
    { valid: false },
  );
  const events = t.audit.events.filter((e) => e.event === "recovery.generated");
  assert.deepEqual(events.map((e) => [e.subject, e.remaining]), [["erin", 10], ["erin", 10]]);
  assert.doesNotMatch(JSON.stringify(t.audit.events), new RegExp(codes[0]!));
  assert.equal((await t.browser.post("/admin/subjects/ghost/recovery-codes")).status, 404);
});

Deno.test("export: only with EXPORT_ENABLED; the recipient decrypts the seed; a bad key is named", async () => {
  await using off = await signedIn();
  await enrol(off, "frank");
  assert.doesNotMatch(
    (await off.browser.get("/admin/subjects/frank")).html,
    /recipient_public_key/,
  );
  const refused = await off.browser.post("/admin/subjects/frank/export", {
    recipient_public_key: "x",
  });
  assert.equal(refused.status, 403);

  await using t = await signedIn({ exportEnabled: true });
  const frank = await enrol(t, "frank");
  const page = await t.browser.get("/admin/subjects/frank");
  assert.match(
    page.html,
    /<label for="recipient_public_key">Recipient&#39;s RSA public key \(PEM\)<\/label>/,
  );
  const recipient = await generateRsaKeyPair(2048);
  const done = await t.browser.post("/admin/subjects/frank/export", {
    recipient_public_key: recipient.publicPem,
  });
  assert.equal(done.status, 200);
  const sealed = /<textarea id="encrypted_seed" readonly>([A-Za-z0-9+/=]+)<\/textarea>/.exec(
    done.html,
  )![1]!;
  const key = await importRsaPrivateKey(privateKeyPemToPkcs8(recipient.privatePem));
  const hex = new TextDecoder().decode(await decryptOaep(key, Uint8Array.fromBase64(sealed)));
  assert.equal(hex, frank.secret.hex.toLowerCase());
  assert.equal(t.audit.events.at(-1)?.event, "seed.exported");
  assert.match(t.audit.events.at(-1)!.fingerprint!, /^[0-9a-f]{64}$/);

  const bad = await t.browser.post("/admin/subjects/frank/export", {
    recipient_public_key: "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----",
  });
  assert.equal(bad.status, 400);
  assert.match(errorsOf(bad.html)!, /^There is a problem: The recipient key: /);
  assert.match(bad.html, /not a key\n-----END PUBLIC KEY-----<\/textarea>/);
  assert.equal(t.audit.events.at(-1)?.event, "seed.exported", "nothing more was audited");
});

Deno.test("?done=constructor (or toString, valueOf) on the list and a subject's page shows no notice", async () => {
  await using t = await signedIn();
  await enrol(t, "bob");
  for (const path of ["/admin/subjects", "/admin/subjects/bob"]) {
    for (const done of ["constructor", "toString", "valueOf", "__proto__"]) {
      const page = await t.browser.get(`${path}?done=${done}`);
      assert.equal(page.status, 200);
      assert.equal(noticeOf(page.html), null);
      assert.doesNotMatch(page.html, /native code/);
    }
  }
  assert.equal(
    noticeOf((await t.browser.get("/admin/subjects/bob?done=unlocked")).html),
    "Unlocked: the failure count and the lock are cleared.",
  );
});
