/**
 * Enrolment in the console: the form, its refusals, the QR code and secret, the first code's
 * confirmation, and the subject's `confirmed` flag as the API shows and enforces it.
 */
import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { createAppFixture } from "../../testing/app_fixture.ts";
import {
  CONSOLE_ADMIN_TOKEN,
  ConsoleClient,
  errorsOf,
  noticeOf,
  textOf,
} from "../../testing/console_client.ts";
import { qrSvg } from "../qr_svg.ts";

const AS_ADMIN = { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}` };

async function signedIn() {
  const t = await createAppFixture({ security: { adminToken: CONSOLE_ADMIN_TOKEN } });
  const browser = new ConsoleClient(t.app);
  await browser.signIn();
  return Object.assign(t, { browser });
}

const ALICE = { subject: "alice", issuer: "ACME Co", account_name: "alice@example.com" };

/** The secret the enrolment page shows, and a TOTP for it with the subject's parameters. */
function totpOf(
  html: string,
  options: { digits?: number; period?: number; algorithm?: string } = {},
) {
  const grouped = /<p class="secret" data-testid="secret">([A-Z2-7 ]+)<\/p>/.exec(html)![1]!;
  return new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(grouped.replaceAll(" ", "")),
    algorithm: options.algorithm ?? "SHA1",
    digits: options.digits ?? 6,
    period: options.period ?? 30,
  });
}

Deno.test("the enrolment form labels every input and names the fields as the API does", async () => {
  await using t = await signedIn();
  const form = await t.browser.get("/admin/enrol");
  assert.equal(form.status, 200);
  for (const name of ["subject", "issuer", "account_name", "algorithm", "digits", "period"]) {
    const control = new RegExp(`<(input|select) id="${name}" name="${name}"`);
    assert.match(form.html, control, name);
    assert.match(form.html, new RegExp(`<label for="${name}">`), `label for ${name}`);
  }
  assert.match(form.html, /<option value="SHA1" selected>SHA1<\/option>/);
  assert.match(form.html, /name="period" type="number" min="15" max="120" step="1" value="30"/);
});

Deno.test("enrol, scan, confirm: unconfirmed (API 409) until the first code, then in force", async () => {
  await using t = await signedIn();
  const enrolled = await t.browser.post("/admin/enrol", {
    ...ALICE,
    algorithm: "SHA1",
    digits: "6",
    period: "30",
  });
  assert.equal(enrolled.status, 303);
  assert.equal(enrolled.headers.get("location"), "/admin/subjects/alice/enrolment");
  assert.deepEqual(t.audit.events.at(-1), {
    event: "seed.set",
    requestId: t.audit.events.at(-1)!.requestId,
    client: "unknown",
    subject: "alice",
    reason: "enrolled (console)",
  });
  const shown = await (await t.call("GET", "/v1/subjects/alice", undefined, AS_ADMIN)).json();
  assert.equal(shown.confirmed, false);
  assert.equal(shown.issuer, "ACME Co");

  const page = await t.browser.get("/admin/subjects/alice/enrolment");
  assert.equal(page.status, 200);
  const totp = totpOf(page.html);
  const uri = `otpauth://totp/ACME%20Co:alice%40example.com?secret=${totp.secret.base32}` +
    "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30";
  // The QR code is the SVG of exactly this URI, inline in data-testid="qr".
  const qr = /<div class="qr" data-testid="qr" role="img" aria-label="([^"]+)">([\s\S]*?)<\/div>/
    .exec(page.html)!;
  assert.equal(qr[1], "QR code enrolling alice (ACME Co)");
  assert.equal(qr[2], await qrSvg(uri));
  assert.equal(totp.secret.bytes.length, 20);
  assert.match(page.html, /<label for="code">Code from the app<\/label>/);
  const code = totp.generate({ timestamp: t.clock.now });
  assert.deepEqual(
    await (await t.call("POST", "/v1/subjects/alice/verify", { code }, AS_ADMIN)).json(),
    {
      error: "Subject not confirmed: confirm its enrolment with a first code in the admin console",
    },
  );

  const wrong = await t.browser.post("/admin/subjects/alice/confirm", {
    code: code === "000000" ? "111111" : "000000",
  });
  assert.equal(wrong.status, 422);
  assert.equal(
    errorsOf(wrong.html),
    "There is a problem: That is not the current code. Enter the 6 digits the app shows now.",
  );
  assert.match(wrong.html, /data-testid="qr"/, "the QR code is shown again");
  assert.equal(t.audit.events.at(-1)?.event, "verify.fail");

  const right = await t.browser.post("/admin/subjects/alice/confirm", { code });
  assert.equal(right.status, 303);
  assert.equal(right.headers.get("location"), "/admin/subjects/alice?done=confirmed");
  assert.equal(t.audit.events.at(-1)?.event, "subject.confirmed");
  const detail = await t.browser.get("/admin/subjects/alice?done=confirmed");
  assert.equal(noticeOf(detail.html), "Enrolment confirmed: the subject verifies from now on.");
  assert.match(textOf(detail.html), /Enrolment confirmed Failed attempts 0/);
  const after = await (await t.call("GET", "/v1/subjects/alice", undefined, AS_ADMIN)).json();
  assert.equal(after.confirmed, true);
  // The confirming code is used up; the next step's code verifies.
  assert.deepEqual(
    await (await t.call("POST", "/v1/subjects/alice/verify", { code }, AS_ADMIN)).json(),
    {
      valid: false,
    },
  );
  t.clock.now += 30_000;
  const next = totp.generate({ timestamp: t.clock.now });
  assert.deepEqual(
    await (await t.call("POST", "/v1/subjects/alice/verify", { code: next }, AS_ADMIN)).json(),
    {
      valid: true,
    },
  );
  // Confirmed, the secret is never shown again.
  const again = await t.browser.get("/admin/subjects/alice/enrolment");
  assert.equal(again.status, 303);
  assert.equal(again.headers.get("location"), "/admin/subjects/alice");
  const late = await t.browser.post("/admin/subjects/alice/confirm", { code: next });
  assert.equal(late.headers.get("location"), "/admin/subjects/alice?done=already-confirmed");
  assert.equal(
    noticeOf((await t.browser.get("/admin/subjects/alice?done=already-confirmed")).html),
    "Already confirmed: the enrolment was complete before this code.",
  );
});

Deno.test("twenty parallel confirmations with the right code: one confirms, the others say already confirmed, none 409", async () => {
  await using t = await signedIn();
  await t.browser.post("/admin/enrol", ALICE);
  const shown = await t.browser.get("/admin/subjects/alice/enrolment");
  const code = totpOf(shown.html).generate({ timestamp: t.clock.now });
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => t.browser.post("/admin/subjects/alice/confirm", { code })),
  );
  const locations = answers.map((a) => `${a.status} ${a.headers.get("location")}`).sort();
  assert.deepEqual(locations, [
    ...Array(19).fill("303 /admin/subjects/alice?done=already-confirmed"),
    "303 /admin/subjects/alice?done=confirmed",
  ]);
  assert.equal(t.audit.events.filter((e) => e.event === "subject.confirmed").length, 1);
  assert.equal(
    (await (await t.call("GET", "/v1/subjects/alice", undefined, AS_ADMIN)).json()).confirmed,
    true,
  );
});

Deno.test("optional parameters: SHA256, 8 digits, 60 s reach the record, the URI and the confirmation", async () => {
  await using t = await signedIn();
  await t.browser.post("/admin/enrol", {
    ...ALICE,
    algorithm: "SHA256",
    digits: "8",
    period: "60",
  });
  const page = await t.browser.get("/admin/subjects/alice/enrolment");
  assert.match(textOf(page.html), /Time-based, SHA256, 8 digits, every 60 seconds\./);
  const totp = totpOf(page.html, { algorithm: "SHA256", digits: 8, period: 60 });
  assert.equal(totp.secret.bytes.length, 32);
  const confirmed = await t.browser.post("/admin/subjects/alice/confirm", {
    code: totp.generate({ timestamp: t.clock.now }),
  });
  assert.equal(confirmed.status, 303);
  const shown = await (await t.call("GET", "/v1/subjects/alice", undefined, AS_ADMIN)).json();
  assert.deepEqual([shown.algorithm, shown.digits, shown.period, shown.confirmed], [
    "SHA256",
    8,
    60,
    true,
  ]);
});

Deno.test("a refused enrolment names every problem, keeps the values (escaped) and stores nothing", async () => {
  await using t = await signedIn();
  const bad = await t.browser.post("/admin/enrol", {
    subject: "no spaces allowed",
    issuer: "",
    account_name: "<script>alert(1)</script>",
    algorithm: "MD5",
    digits: "7",
    period: "500",
  });
  assert.equal(bad.status, 400);
  assert.equal(
    errorsOf(bad.html),
    "There are problems: Subject id must be 1 to 128 letters, digits, dots, hyphens, underscores or @ " +
      "Issuer is required Algorithm must be SHA1, SHA256 or SHA512 Digits must be 6 or 8 " +
      "Period must be 15 to 120 seconds",
  );
  assert.match(bad.html, /value="no spaces allowed"/);
  assert.match(bad.html, /value="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  assert.doesNotMatch(bad.html, /<script>/);
  const reserved = await t.browser.post("/admin/enrol", { ...ALICE, subject: "default" });
  assert.equal(
    errorsOf(reserved.html),
    "There is a problem: The default subject cannot be enrolled here",
  );
  const long = await t.browser.post("/admin/enrol", {
    ...ALICE,
    issuer: "i".repeat(201),
    period: "x",
  });
  assert.equal(
    errorsOf(long.html),
    "There are problems: Issuer must be at most 200 characters Period must be a whole number of seconds",
  );
  const list = await (await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)).json();
  assert.deepEqual(list.subjects, []);
  // An existing id is 409 and left alone.
  await t.browser.post("/admin/enrol", ALICE);
  const before = await (await t.call("GET", "/v1/subjects/alice", undefined, AS_ADMIN)).json();
  const twice = await t.browser.post("/admin/enrol", { ...ALICE, issuer: "Other" });
  assert.equal(twice.status, 409);
  assert.equal(
    errorsOf(twice.html),
    'There is a problem: Subject "alice" already exists. Choose another id, or delete it first.',
  );
  assert.deepEqual(
    await (await t.call("GET", "/v1/subjects/alice", undefined, AS_ADMIN)).json(),
    before,
  );
});

Deno.test("confirmation codes are throttled like any other: five wrong, then 429 even for the right one", async () => {
  await using t = await signedIn();
  await t.browser.post("/admin/enrol", ALICE);
  const totp = totpOf((await t.browser.get("/admin/subjects/alice/enrolment")).html);
  const right = totp.generate({ timestamp: t.clock.now });
  const wrong = right === "123456" ? "654321" : "123456";
  for (let i = 0; i < 5; i++) {
    assert.equal(
      (await t.browser.post("/admin/subjects/alice/confirm", { code: wrong })).status,
      422,
    );
  }
  const locked = await t.browser.post("/admin/subjects/alice/confirm", { code: right });
  assert.equal(locked.status, 429);
  assert.equal(locked.headers.get("retry-after"), "30");
  assert.equal(
    errorsOf(locked.html),
    "There is a problem: Too many wrong codes: alice is locked for 30 seconds.",
  );
  assert.equal(
    (await (await t.call("GET", "/v1/subjects/alice", undefined, AS_ADMIN)).json()).confirmed,
    false,
  );
  // Odd input is a wrong code, never an error page.
  t.clock.now += 31_000;
  for (const code of ["", "12345", "1234567", "abcdef", "𝟙𝟚𝟛𝟜𝟝𝟞", "1".repeat(10_000)]) {
    assert.equal(
      (await t.browser.post("/admin/subjects/alice/confirm", { code })).status,
      422,
      code.slice(0, 8),
    );
  }
});

Deno.test("enrolment pages of a subject that is not there: 404; of one set through the API: no secret", async () => {
  await using t = await signedIn();
  assert.equal((await t.browser.get("/admin/subjects/ghost/enrolment")).status, 404);
  assert.equal(
    (await t.browser.post("/admin/subjects/ghost/confirm", { code: "123456" })).status,
    404,
  );
  const api = await t.call(
    "POST",
    "/v1/subjects/bob/enroll",
    { issuer: "A", account_name: "bob" },
    AS_ADMIN,
  );
  assert.equal(api.status, 201);
  const page = await t.browser.get("/admin/subjects/bob/enrolment");
  assert.equal(page.status, 303);
  assert.equal(page.headers.get("location"), "/admin/subjects/bob");
});

Deno.test("the enrol form refuses the labels the API refuses, with the API's messages, and stores nothing", async () => {
  await using t = await signedIn();
  const colon = await t.browser.post("/admin/enrol", { ...ALICE, issuer: "Bank:Fake" });
  assert.equal(colon.status, 400);
  assert.equal(
    errorsOf(colon.html),
    'There is a problem: issuer must not contain ":" (the Key Uri Format separates issuer and account name with it)',
  );
  const control = await t.browser.post("/admin/enrol", {
    ...ALICE,
    issuer: "Bank\u202eknaB",
    account_name: "alice\u0007@example.com",
  });
  assert.equal(control.status, 400);
  assert.equal(
    errorsOf(control.html),
    "There are problems: issuer must not contain bidirectional formatting characters " +
      "account_name must not contain control characters",
  );
  for (
    const [issuer, account_name] of [["Bank:Fake", "a"], ["Bank\u202eknaB", "a"], ["B", "a\u0007"]]
  ) {
    const api = await t.call(
      "POST",
      "/v1/subjects/apicheck/enroll",
      { issuer, account_name },
      AS_ADMIN,
    );
    assert.equal(api.status, 400);
  }
  assert.deepEqual(
    (await (await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)).json()).subjects,
    [],
  );
});
