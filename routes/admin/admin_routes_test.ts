/**
 * The console's frame: mounted only with ADMIN_TOKEN, its headers, signing in and out, the
 * session cookie, and every way in that must be refused (no session, an ended or idle one,
 * a session id the client chose, a wrong or missing CSRF token, a cross-site post, a form
 * the console never sends).
 */
import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../../testing/app_fixture.ts";
import {
  CONSOLE_ADMIN_TOKEN,
  ConsoleClient,
  errorsOf,
  noticeOf,
  textOf,
} from "../../testing/console_client.ts";
import { ADMIN_CSP } from "./admin_routes.tsx";
import { SESSION_IDLE_MS } from "./admin_sessions.ts";
import { WRONG_TOKEN_WINDOW_MS, WRONG_TOKENS } from "../../middleware/wrong_token_throttle.ts";

function consoleFixture(security = {}) {
  return createAppFixture({ security: { adminToken: CONSOLE_ADMIN_TOKEN, ...security } });
}

Deno.test("without ADMIN_TOKEN there is no console: /admin paths are the API's JSON 404", async () => {
  await using t = await createAppFixture();
  for (const path of ["/admin", "/admin/sign-in", "/admin/subjects", "/admin/assets/console.css"]) {
    assert.deepEqual(await statusAndBody(await t.call("GET", path)), {
      status: 404,
      body: { error: "Not found" },
    });
  }
  assert.equal((await t.call("POST", "/admin/sign-in", "token=x")).status, 404);
});

Deno.test("first visit: /admin leads to sign-in; every page and asset has the CSP and page headers", async () => {
  await using t = await consoleFixture();
  const browser = new ConsoleClient(t.app);
  const root = await browser.get("/admin");
  assert.equal(root.status, 303);
  assert.equal(root.headers.get("location"), "/admin/sign-in");
  const list = await browser.get("/admin/subjects");
  assert.equal(list.status, 303);
  assert.equal(list.headers.get("location"), "/admin/sign-in");
  const signIn = await browser.get("/admin/sign-in");
  assert.equal(signIn.status, 200);
  assert.equal(signIn.headers.get("content-type"), "text/html; charset=UTF-8");
  assert.match(signIn.html, /^<!doctype html><html lang="en">/);
  assert.match(signIn.html, /<label for="token">Admin token<\/label>/);
  assert.equal((signIn.html.match(/<input [^>]*name="token"/g) ?? []).length, 1);
  assert.doesNotMatch(signIn.html, /<script|style=/);
  for (const page of [root, list, signIn]) {
    assert.equal(page.headers.get("content-security-policy"), ADMIN_CSP);
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    assert.equal(page.headers.get("referrer-policy"), "same-origin");
    assert.equal(page.headers.get("cache-control"), "no-store");
  }
  const css = await browser.get("/admin/assets/console.css");
  assert.equal(css.status, 200);
  assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  assert.equal(css.headers.get("content-security-policy"), ADMIN_CSP);
  assert.match(css.html, /@media \(max-width: 40em\)/);
  const icon = await browser.get("/admin/assets/icon.svg");
  assert.equal(icon.headers.get("content-type"), "image/svg+xml");
  assert.equal((await browser.get("/admin/assets/other.js")).status, 404);
  // The sign-in form's own CSRF cookie: HttpOnly, SameSite=Strict, only for the sign-in path.
  const setCookie = signIn.headers.get("set-cookie")!;
  assert.match(
    setCookie,
    /^pki2fa_admin_sign_in=[\w-]{43}; Max-Age=3600; Path=\/admin\/sign-in; HttpOnly; SameSite=Strict$/,
  );
});

Deno.test("sign in: a new random session cookie, HttpOnly and SameSite=Strict, audited; sign out ends it", async () => {
  await using t = await consoleFixture();
  const browser = new ConsoleClient(t.app);
  await browser.get("/admin/sign-in");
  const signedIn = await browser.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN });
  assert.equal(signedIn.status, 303);
  const cookies = signedIn.headers.getSetCookie();
  assert.match(cookies[0]!, /^pki2fa_admin=[\w-]{43}; Path=\/admin; HttpOnly; SameSite=Strict$/);
  assert.match(cookies[1]!, /^pki2fa_admin_sign_in=; Max-Age=0; Path=\/admin\/sign-in/);
  const id = browser.session()!;
  assert.ok(!id.includes(CONSOLE_ADMIN_TOKEN) && id !== CONSOLE_ADMIN_TOKEN);
  assert.equal(t.audit.events.at(-1)?.event, "admin.signed_in");
  // Signed in, the sign-in page sends you on.
  assert.equal((await browser.get("/admin/sign-in")).headers.get("location"), "/admin/subjects");
  const list = await browser.get("/admin/subjects");
  assert.equal(list.status, 200);
  assert.match(list.html, /<a href="\/admin\/subjects" aria-current="page">Subjects<\/a>/);

  const out = await browser.post("/admin/sign-out");
  assert.equal(out.status, 303);
  assert.equal(out.headers.get("location"), "/admin/sign-in?done=signed-out");
  assert.match(out.headers.get("set-cookie")!, /^pki2fa_admin=; Max-Age=0; Path=\/admin/);
  assert.equal(t.audit.events.at(-1)?.event, "admin.signed_out");
  assert.equal(
    noticeOf((await browser.get("/admin/sign-in?done=signed-out")).html),
    "You are signed out.",
  );
  // The old id is dead, even replayed by hand.
  const replay = await t.app.request("/admin/subjects", {
    headers: { cookie: `pki2fa_admin=${id}` },
  });
  assert.equal(replay.status, 303);
  assert.equal(replay.headers.get("location"), "/admin/sign-in?done=ended");
});

Deno.test("a wrong or missing token is 401 and audited, never a session; the page offers a fresh form", async () => {
  await using t = await consoleFixture();
  const browser = new ConsoleClient(t.app);
  await browser.get("/admin/sign-in");
  for (const token of ["wrong-token-0123456789", "", CONSOLE_ADMIN_TOKEN + "x", "x".repeat(5000)]) {
    const refused = await browser.post("/admin/sign-in", { token });
    assert.equal(refused.status, 401);
    assert.equal(errorsOf(refused.html), "There is a problem: That is not the admin token.");
    assert.equal(browser.session(), undefined);
    assert.deepEqual(t.audit.events.at(-1), {
      event: "auth.denied",
      requestId: t.audit.events.at(-1)!.requestId,
      client: "unknown",
      reason: "wrong token",
    });
  }
  assert.equal((await browser.post("/admin/sign-in", {})).status, 401);
  assert.equal(t.audit.events.at(-1)?.reason, "no token");
  // No event ever holds a token.
  assert.doesNotMatch(JSON.stringify(t.audit.events), /wrong-token|console-admin-token/);
  assert.equal((await browser.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN })).status, 303);
});

Deno.test("wrong tokens count against the API's rate limit: the same bucket as /v1", async () => {
  await using t = await consoleFixture({ rateLimitPerMinute: 5 });
  const browser = new ConsoleClient(t.app);
  await browser.get("/admin/sign-in");
  for (let i = 0; i < 3; i++) {
    assert.equal(
      (await browser.post("/admin/sign-in", { token: `guess-${i}-0123456789` })).status,
      401,
    );
  }
  const api = await t.call("GET", "/v1/subjects", undefined, {
    authorization: "Bearer nope-0123456789abc",
  });
  assert.equal(api.status, 401);
  assert.deepEqual(
    await statusAndBody(await t.call("GET", "/v1/subjects", undefined, {})),
    { status: 429, body: { error: "Too many requests" } },
  );
  const blocked = await browser.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN });
  assert.equal(blocked.status, 429);
  assert.equal(browser.session(), undefined);
});

Deno.test("the sign-in form's CSRF token: missing, wrong, or without its cookie is 403", async () => {
  await using t = await consoleFixture();
  const browser = new ConsoleClient(t.app);
  await browser.get("/admin/sign-in");
  for (const csrf of [null, "forged", "A".repeat(43)]) {
    const refused = await browser.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN }, { csrf });
    assert.equal(refused.status, 403);
    assert.match(errorsOf(refused.html)!, /This form expired or was sent from another page/);
    assert.equal(browser.session(), undefined);
  }
  const cookieless = new ConsoleClient(t.app);
  cookieless.csrf = browser.csrf;
  const refused = await cookieless.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN });
  assert.equal(refused.status, 403);
  assert.equal(t.audit.events.at(-1)?.reason, "console sign-in form forged");
});

Deno.test("session fixation: a session id the client chose is never accepted, nor kept at sign-in", async () => {
  await using t = await consoleFixture();
  const browser = new ConsoleClient(t.app);
  const chosen = "A".repeat(43);
  browser.cookies.set("pki2fa_admin", { value: chosen, path: "/admin" });
  const page = await browser.get("/admin/subjects");
  assert.equal(page.status, 303);
  assert.equal(page.headers.get("location"), "/admin/sign-in?done=ended");
  await browser.get("/admin/sign-in");
  await browser.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN });
  const issued = browser.session()!;
  assert.notEqual(issued, chosen);
  assert.match(issued, /^[\w-]{43}$/);
  // A live session id planted before a sign-in (say, the attacker's own) is ended by it.
  const attacker = new ConsoleClient(t.app);
  await attacker.signIn();
  const planted = attacker.session()!;
  const victim = new ConsoleClient(t.app);
  await victim.get("/admin/sign-in");
  victim.cookies.set("pki2fa_admin", { value: planted, path: "/admin" });
  assert.equal((await victim.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN })).status, 303);
  assert.notEqual(victim.session(), planted);
  assert.equal((await attacker.get("/admin/subjects")).status, 303, "the planted session ended");
  assert.equal((await victim.get("/admin/subjects")).status, 200);
  // Odd cookies are no session either.
  for (const value of ["", "x", "A".repeat(44), "%00%00", "A".repeat(8000)]) {
    const response = await t.app.request("/admin/subjects", {
      headers: { cookie: `pki2fa_admin=${value}` },
    });
    assert.equal(response.status, 303, value.slice(0, 10));
  }
});

Deno.test("sessions end after 30 minutes idle; each request moves the deadline", async () => {
  await using t = await consoleFixture();
  const browser = new ConsoleClient(t.app);
  await browser.signIn();
  t.clock.now += SESSION_IDLE_MS - 1;
  assert.equal((await browser.get("/admin/subjects")).status, 200);
  t.clock.now += SESSION_IDLE_MS - 1;
  assert.equal((await browser.get("/admin/service")).status, 200);
  t.clock.now += SESSION_IDLE_MS;
  const ended = await browser.get("/admin/subjects");
  assert.equal(ended.status, 303);
  assert.equal(ended.headers.get("location"), "/admin/sign-in?done=ended");
  assert.match(
    noticeOf((await browser.get("/admin/sign-in?done=ended")).html)!,
    /^Your session ended/,
  );
  // A post with the ended session is refused and changes nothing.
  const post = await browser.post("/admin/enrol", {
    subject: "late",
    issuer: "I",
    account_name: "a",
  });
  assert.equal(post.status, 401);
  assert.equal(await t.stateStore.getRecord(["subject_records", "late"]), null);
});

Deno.test("posts without a session, or with a wrong CSRF token, are refused before anything runs", async () => {
  await using t = await consoleFixture();
  const stranger = new ConsoleClient(t.app);
  const anonymous = await stranger.post("/admin/enrol", {
    subject: "x",
    issuer: "I",
    account_name: "a",
  }, {
    csrf: "whatever",
  });
  assert.equal(anonymous.status, 401);
  assert.equal(
    errorsOf(anonymous.html),
    "There is a problem: Your session has ended, or you are not signed in.",
  );
  assert.equal(t.audit.events.at(-1)?.reason, "no console session");

  const browser = new ConsoleClient(t.app);
  await browser.signIn();
  const form = { subject: "mallory", issuer: "I", account_name: "a" };
  for (const csrf of [null, "", "forged", "A".repeat(43)]) {
    const refused = await browser.post("/admin/enrol", form, { csrf });
    assert.equal(refused.status, 403);
    assert.match(errorsOf(refused.html)!, /not sent from this session's pages/);
    assert.equal(t.audit.events.at(-1)?.reason, "console CSRF token");
  }
  // Another session's token is no good either.
  const other = new ConsoleClient(t.app);
  await other.signIn();
  assert.equal((await browser.post("/admin/enrol", form, { csrf: other.csrf })).status, 403);
  assert.equal(await t.stateStore.getRecord(["subject_records", "mallory"]), null);
});

Deno.test("a cross-site form post is refused by the request frame with the API's 403", async () => {
  await using t = await consoleFixture();
  const browser = new ConsoleClient(t.app);
  await browser.signIn();
  const form = { subject: "evil", issuer: "I", account_name: "a" };
  for (
    const headers of [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }, {
      origin: "null",
    }]
  ) {
    const refused = await browser.post("/admin/enrol", form, { headers });
    assert.equal(refused.status, 403);
    assert.deepEqual(JSON.parse(refused.html), { error: "Cross-site request refused" });
  }
  const signIn = await browser.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN }, {
    headers: { origin: "https://evil.example" },
  });
  assert.equal(signIn.status, 403);
  assert.equal(await t.stateStore.getRecord(["subject_records", "evil"]), null);
  assert.equal(t.audit.events.at(-1)?.reason, "cross-site request");
});

Deno.test("odd and huge forms: another type 415, a field twice 400, over 64 KiB 413, unknown pages 404", async () => {
  await using t = await consoleFixture();
  const browser = new ConsoleClient(t.app);
  await browser.signIn();
  const json = await browser.post("/admin/enrol", {}, {
    body: JSON.stringify({ csrf: browser.csrf, subject: "j" }),
    headers: { "content-type": "application/json" },
  });
  assert.equal(json.status, 415);
  assert.equal(
    errorsOf(json.html),
    "There is a problem: Forms are sent as application/x-www-form-urlencoded",
  );
  const twice = await browser.post("/admin/enrol", {}, {
    body: `csrf=${browser.csrf}&subject=a&subject=b`,
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  assert.equal(twice.status, 400);
  assert.equal(errorsOf(twice.html), 'There is a problem: The form field "subject" came twice');
  const huge = await browser.post("/admin/enrol", { subject: "h".repeat(70_000) });
  assert.equal(huge.status, 413);
  assert.equal(errorsOf(huge.html), "There is a problem: Request body too large");
  const unknown = await browser.get("/admin/nothing-here");
  assert.equal(unknown.status, 404);
  assert.equal(textOf(/<h1>(.*?)<\/h1>/.exec(unknown.html)![1]!), "Not found");
  assert.equal((await browser.get(`/admin/subjects/${"%00".repeat(3)}`)).status, 400);
});

Deno.test("behind a TLS proxy (TRUST_PROXY and X-Forwarded-Proto: https) the cookies are Secure and __Secure-", async () => {
  await using t = await consoleFixture({ trustProxy: true });
  const tls = { "x-forwarded-proto": "https" };
  const browser = new ConsoleClient(t.app);
  const signIn = await browser.get("/admin/sign-in", { headers: tls });
  assert.match(
    signIn.headers.get("set-cookie")!,
    /^__Secure-pki2fa_admin_sign_in=[\w-]{43}; .*; Secure; SameSite=Strict$/,
  );
  const done = await browser.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN }, {
    headers: tls,
  });
  assert.equal(done.status, 303);
  assert.match(
    done.headers.getSetCookie()[0]!,
    /^__Secure-pki2fa_admin=[\w-]{43}; Path=\/admin; HttpOnly; Secure; SameSite=Strict$/,
  );
  assert.equal((await browser.get("/admin/subjects", { headers: tls })).status, 200);
  // Without TRUST_PROXY the header is the client's word, and ignored.
  await using plain = await consoleFixture();
  const other = new ConsoleClient(plain.app);
  const page = await other.get("/admin/sign-in", { headers: tls });
  assert.match(page.headers.get("set-cookie")!, /^pki2fa_admin_sign_in=.*SameSite=Strict$/);
  assert.doesNotMatch(page.headers.get("set-cookie")!, /Secure/);
});

Deno.test("a form sent chunked (no length) over 64 KiB is the console's 413 page, not a 500", async () => {
  await using t = await consoleFixture();
  const browser = new ConsoleClient(t.app);
  await browser.signIn();
  const form = `csrf=${browser.csrf}&subject=${"h".repeat(70_000)}`;
  // Two chunks and no Content-Length: the limit is met while the gate reads the form.
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(form.slice(0, 1000)));
      controller.enqueue(new TextEncoder().encode(form.slice(1000)));
      controller.close();
    },
  });
  const response = await t.app.request("/admin/enrol", {
    method: "POST",
    headers: {
      cookie: browser.cookieHeader("/admin/enrol"),
      origin: "http://localhost",
      "sec-fetch-site": "same-origin",
      "content-type": "application/x-www-form-urlencoded",
    },
    body,
    duplex: "half",
  } as RequestInit);
  const html = await response.text();
  assert.equal(response.status, 413);
  assert.equal(errorsOf(html), "There is a problem: Request body too large");
  assert.equal(response.headers.get("connection"), "close");
  assert.deepEqual(t.logger.lines.filter((line) => /Unexpected error/.test(line)), []);
});

Deno.test("a new ADMIN_TOKEN ends the sessions opened with the old one", async () => {
  await using t = await consoleFixture();
  const browser = new ConsoleClient(t.app);
  await browser.signIn();
  const cookie = browser.session()!;
  // The leaked token is replaced and the service restarted; the state store keeps its data.
  await t.restart({ security: { adminToken: "replacement-admin-token-0123456789" } });
  const stale = new ConsoleClient(t.app);
  stale.cookies.set("pki2fa_admin", { value: cookie, path: "/admin" });
  const page = await stale.get("/admin/subjects");
  assert.equal(page.status, 303);
  assert.equal(page.headers.get("location"), "/admin/sign-in?done=ended");
  const post = await stale.post("/admin/enrol", { subject: "x", issuer: "I", account_name: "a" });
  assert.equal(post.status, 401);
  assert.equal(await t.stateStore.getRecord(["subject_records", "x"]), null);
  // The old token no longer signs in either; the new one does.
  const old = new ConsoleClient(t.app);
  await old.get("/admin/sign-in");
  assert.equal((await old.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN })).status, 401);
  await old.signIn("replacement-admin-token-0123456789");
});

Deno.test("wrong tokens at sign-in are throttled per client even with the API's rate limit off: 10, then 429 for the right token too", async () => {
  // The fixture's rate limit is off (RATE_LIMIT_PER_MINUTE=0).
  await using t = await consoleFixture();
  const guesser = new ConsoleClient(t.app);
  await guesser.get("/admin/sign-in");
  for (let i = 0; i < WRONG_TOKENS; i++) {
    const wrong = await guesser.post("/admin/sign-in", { token: `guess-${i}-0123456789` });
    assert.equal(wrong.status, 401, `guess ${i}`);
  }
  const spent = await guesser.post("/admin/sign-in", { token: "guess-10-0123456789" });
  assert.equal(spent.status, 429);
  const blocked = await guesser.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN });
  assert.equal(blocked.status, 429);
  assert.equal(
    blocked.headers.get("retry-after"),
    String(WRONG_TOKEN_WINDOW_MS / WRONG_TOKENS / 1000),
  );
  assert.equal(
    errorsOf(blocked.html),
    "There is a problem: Too many wrong tokens from your address. Try again in 2 minutes.",
  );
  assert.equal(guesser.session(), undefined);
  assert.deepEqual(t.audit.events.at(-1), {
    event: "rate.limited",
    requestId: t.audit.events.at(-1)!.requestId,
    client: "unknown",
    reason: "wrong tokens",
  });
  // The API is the same door: its bearer tokens are refused too, before any comparison.
  assert.deepEqual(
    await statusAndBody(
      await t.call("GET", "/v1/subjects", undefined, {
        authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}`,
      }),
    ),
    {
      status: 429,
      body: { error: "Too many wrong tokens from this address; retry in 90 seconds" },
    },
  );
  // One guess comes back every 90 s.
  t.clock.now += WRONG_TOKEN_WINDOW_MS / WRONG_TOKENS;
  const signedIn = await guesser.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN });
  assert.equal(signedIn.status, 303);
  assert.match(guesser.session()!, /^[\w-]{43}$/);
});

Deno.test("Object.prototype names are not assets or notices: /admin/assets/constructor is 404, ?done=constructor shows no notice", async () => {
  await using t = await consoleFixture();
  for (const name of ["constructor", "toString", "valueOf", "__proto__", "hasOwnProperty"]) {
    assert.deepEqual(await statusAndBody(await t.call("GET", `/admin/assets/${name}`)), {
      status: 404,
      body: { error: "Not found" },
    });
  }
  assert.deepEqual(await statusAndBody(await t.call("GET", "/docs/constructor")), {
    status: 404,
    body: { error: "Not found" },
  });
  const browser = new ConsoleClient(t.app);
  for (const done of ["constructor", "toString", "valueOf", "__proto__"]) {
    const page = await browser.get(`/admin/sign-in?done=${done}`);
    assert.equal(page.status, 200);
    assert.equal(noticeOf(page.html), null);
    assert.doesNotMatch(page.html, /native code|function/);
  }
  assert.deepEqual(t.logger.lines.filter((line) => /Unexpected error/.test(line)), []);
});
