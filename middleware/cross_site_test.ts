import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const ADMIN = "test-admin-token-0123456789";
const REFUSED = { status: 403, body: { error: "Cross-site request refused" } };

/** What Chromium sends for `fetch(url, {method: "POST", body: "..."})` from another site. */
const BROWSER_TEXT_FETCH = {
  "content-type": "text/plain;charset=UTF-8",
  origin: "http://evil.example",
  "sec-fetch-site": "cross-site",
  "sec-fetch-mode": "no-cors",
  "sec-fetch-dest": "empty",
};
/** What a browser sends for an auto-submitted `<form method="post">` from another site. */
const BROWSER_FORM_POST = {
  "content-type": "application/x-www-form-urlencoded",
  origin: "null",
  "sec-fetch-site": "cross-site",
  "sec-fetch-mode": "navigate",
  "sec-fetch-dest": "document",
  "sec-fetch-user": "?1",
};

/** A body that records whether anyone read it. */
function watchedBody(text: string): { body: ReadableStream<Uint8Array>; read: () => boolean } {
  let read = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      read = true;
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  }, { highWaterMark: 0 });
  return { body, read: () => read };
}

Deno.test("a cross-site text/plain fetch and a form post are refused before the body is read, and change nothing", async () => {
  await using t = await createAppFixture();
  assert.equal(
    (await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt(SEED) })).status,
    200,
  );
  const other = await t.encrypt("ab".repeat(32));
  const cases: [string, Record<string, string>, string][] = [
    ["/decrypt-seed", BROWSER_TEXT_FETCH, `{"encrypted_seed":"${other}"}`],
    ["/decrypt-seed", BROWSER_FORM_POST, `{"encrypted_seed":"${other}"}`],
    ["/verify-2fa", BROWSER_TEXT_FETCH, '{"code":"000000"}'],
    ["/verify-2fa", BROWSER_FORM_POST, '{"code":"000000"}'],
  ];
  for (const [path, headers, text] of cases) {
    const watched = watchedBody(text);
    const response = await t.app.request(path, { method: "POST", headers, body: watched.body });
    assert.deepEqual(await statusAndBody(response), REFUSED, `${path} ${headers.origin}`);
    assert.equal(watched.read(), false, "the body was never read");
  }
  assert.equal(await t.seedFile(), SEED);
  assert.equal(await t.stateStore.getVerification("default", t.store.seed!.id), null);
  assert.deepEqual(
    t.audit.events.map((e) => [e.event, e.reason]),
    [["seed.set", undefined], ...Array(4).fill(["auth.denied", "cross-site request"])],
  );
});

Deno.test("same-origin pages, curl and scripts still work; another port on the same host does not", async () => {
  await using t = await createAppFixture();
  const post = async (headers: Record<string, string>) =>
    (await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt(SEED) }, headers))
      .status;
  // curl -d: a form content type, no Origin, no Sec-Fetch-*.
  assert.equal(await post({ "content-type": "application/x-www-form-urlencoded" }), 200);
  // The service's own page (the docs' "Try it out"): Origin is the addressed host.
  assert.equal(
    await post({
      origin: "http://localhost:8080",
      host: "localhost:8080",
      "sec-fetch-site": "same-origin",
    }),
    200,
  );
  assert.equal(await post({ origin: "http://localhost" }), 200, "the request URL's host");
  // A page on another port of the same host is same-site, but not the same origin.
  assert.equal(
    await post({
      origin: "http://localhost:3000",
      host: "localhost:8080",
      "sec-fetch-site": "same-site",
    }),
    403,
  );
  // The scheme is not compared: behind a TLS proxy the page is https and the service sees
  // http, and no other page can be served from the service's own host and port.
  // Reading is never refused: CORS keeps other sites from seeing the answer.
  const read = await t.call("GET", "/generate-2fa", undefined, BROWSER_TEXT_FETCH);
  assert.equal(read.status, 200);
});

Deno.test("CORS_ORIGINS may post cross-site; X-Forwarded-Host counts only behind a trusted proxy", async () => {
  await using cors = await createAppFixture({
    security: { corsOrigins: ["https://app.example"] },
  });
  const fromApp = { ...BROWSER_TEXT_FETCH, origin: "https://app.example" };
  const allowed = await cors.call("POST", "/verify-2fa", { code: "123456" }, fromApp);
  assert.deepEqual(await statusAndBody(allowed), {
    status: 500,
    body: { error: "Seed not decrypted yet" },
  });
  assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
  assert.deepEqual(
    await statusAndBody(await cors.call("POST", "/verify-2fa", { code: "1" }, BROWSER_TEXT_FETCH)),
    REFUSED,
  );

  const proxied = {
    origin: "https://2fa.example",
    host: "pki-2fa:8080",
    "x-forwarded-host": "2fa.example",
  };
  await using direct = await createAppFixture();
  assert.equal((await direct.call("POST", "/verify-2fa", { code: "1" }, proxied)).status, 403);
  // The proxy's name must also be listed: a browser page on a name is refused otherwise.
  await using unlisted = await createAppFixture({ security: { trustProxy: true } });
  assert.equal((await unlisted.call("POST", "/verify-2fa", { code: "1" }, proxied)).status, 421);
  // Every name counts, the proxy's Host too: list it, or have the proxy pass Host through.
  await using hostUnlisted = await createAppFixture({
    security: { trustProxy: true, allowedHosts: ["2fa.example"] },
  });
  assert.equal(
    (await hostUnlisted.call("POST", "/verify-2fa", { code: "1" }, proxied)).status,
    421,
  );
  await using behindProxy = await createAppFixture({
    security: { trustProxy: true, allowedHosts: ["2fa.example", "pki-2fa"] },
  });
  assert.equal((await behindProxy.call("POST", "/verify-2fa", { code: "1" }, proxied)).status, 500);
});

Deno.test("every state-changing /v1 route refuses cross-site requests, even with the admin token", async () => {
  await using t = await createAppFixture({ security: { adminToken: ADMIN } });
  const admin = { authorization: `Bearer ${ADMIN}` };
  const body = { issuer: "Acme", account_name: "alice@example.com" };
  t.clock.now -= 60_000; // enrolled a minute before the attacks
  assert.equal((await t.call("POST", "/v1/subjects/alice/enroll", body, admin)).status, 201);
  t.clock.now += 60_000;
  const attacks: [string, string, unknown][] = [
    ["POST", "/v1/subjects/alice/enroll?replace=true", body],
    ["PUT", "/v1/subjects/alice/seed", { encrypted_seed: await t.encrypt("ab".repeat(20)) }],
    ["POST", "/v1/subjects/alice/verify", { code: "000000" }],
    ["DELETE", "/v1/subjects/alice", undefined],
  ];
  for (const [method, path, payload] of attacks) {
    const response = await t.call(method, path, payload, { ...admin, ...BROWSER_TEXT_FETCH });
    assert.deepEqual(await statusAndBody(response), REFUSED, `${method} ${path}`);
  }
  const meta = await (await t.call("GET", "/v1/subjects/alice", undefined, admin)).json();
  assert.deepEqual([meta.last_accepted_step, meta.locked], [null, false]);
  assert.equal(meta.updated_at, meta.created_at, "neither replaced nor re-enrolled");
  assert.equal(t.audit.events.filter((e) => e.reason === "cross-site request").length, 4);
});

const HOST_REFUSED = {
  status: 421,
  body: { error: "Host not allowed: set ALLOWED_HOSTS to the names this service is reached by" },
};

/** What a DNS-rebinding page sends: its own name in Host and Origin, same-origin to the browser. */
/**
 * What a browser sends from a rebound page over plain http (the only way rebinding works: a
 * certificate would not match): `Origin` on a POST, no Fetch Metadata, its own User-Agent.
 */
function rebound(name: string): Record<string, string> {
  return {
    host: `${name}:8080`,
    origin: `http://${name}:8080`,
    "content-type": "text/plain;charset=UTF-8",
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  };
}

Deno.test("DNS rebinding: a browser request to an unlisted name is refused with 421 and changes nothing", async () => {
  await using t = await createAppFixture();
  const other = await t.encrypt("ab".repeat(32));
  const post = await t.app.request("/decrypt-seed", {
    method: "POST",
    headers: rebound("rebind.evil.example"),
    body: `{"encrypted_seed":"${other}"}`,
  });
  assert.deepEqual(await statusAndBody(post), HOST_REFUSED);
  // Reading the code with a same-origin fetch (no Origin on a GET) is refused too.
  const { origin: _origin, ...getHeaders } = rebound("rebind.evil.example");
  const read = await t.app.request("/generate-2fa", { headers: getHeaders });
  assert.deepEqual(await statusAndBody(read), HOST_REFUSED);
  assert.equal(await t.seedFile(), null);
  assert.deepEqual(
    t.audit.events.map((e) => [e.event, e.reason]),
    [["auth.denied", "host not allowed"], ["auth.denied", "host not allowed"]],
  );
});

Deno.test("DNS rebinding, default: curl by name, typed addresses, IP literals and localhost all still work", async () => {
  await using t = await createAppFixture();
  const seed = { encrypted_seed: await t.encrypt(SEED) };
  // curl or a grader's script by any name: no browser headers.
  assert.equal((await t.call("POST", "/decrypt-seed", seed, { host: "app:8080" })).status, 200);
  // A typed address or a bookmark: Sec-Fetch-Site none.
  const typed = await t.call("GET", "/generate-2fa", undefined, {
    host: "pki.internal:8080",
    "sec-fetch-site": "none",
  });
  assert.equal(typed.status, 200);
  for (
    const host of ["127.0.0.1:8080", "[::1]:8080", "localhost:8080", "app.localhost", "10.0.0.7"]
  ) {
    const response = await t.call("POST", "/verify-2fa", { code: "000000" }, {
      host,
      origin: `http://${host}`,
      "sec-fetch-site": "same-origin",
    });
    assert.equal(response.status, 200, host);
  }
});

Deno.test("ALLOWED_HOSTS: listed names pass, every other name is refused, browser or not", async () => {
  await using t = await createAppFixture({
    security: { allowedHosts: ["auth.example.com", "pki-2fa"] },
  });
  const seed = { encrypted_seed: await t.encrypt(SEED) };
  const page = rebound("auth.example.com");
  assert.equal((await t.call("POST", "/decrypt-seed", seed, page)).status, 200);
  assert.equal((await t.call("GET", "/health", undefined, { host: "pki-2fa:8080" })).status, 200);
  assert.equal((await t.call("GET", "/health", undefined, { host: "127.0.0.1:8080" })).status, 200);
  const script = await t.call("GET", "/generate-2fa", undefined, { host: "other.example" });
  assert.deepEqual(await statusAndBody(script), HOST_REFUSED);
  // Behind a trusted proxy only, the proxy's X-Forwarded-Host is the addressed name.
  const forwarded = { host: "pki-2fa:8080", "x-forwarded-host": "evil.example" };
  assert.equal((await t.call("GET", "/health", undefined, forwarded)).status, 200);
});

/** What Chromium sent for a rebound page's `fetch("/generate-2fa")` over plain http (seen in an attack run). */
const CHROMIUM_HTTP_GET = {
  host: "evil.test:18087",
  accept: "*/*",
  referer: "http://evil.test:18087/",
  "user-agent":
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
};

Deno.test("DNS rebinding, default: a plain-http same-origin GET (no Origin, no Fetch Metadata) is refused", async () => {
  await using t = await createAppFixture();
  await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt(SEED) });
  const read = await t.app.request("/generate-2fa", { headers: CHROMIUM_HTTP_GET });
  assert.deepEqual(await statusAndBody(read), HOST_REFUSED);
  // Scripts by the same name are not browsers; by IP or localhost a browser is fine.
  const { "user-agent": _ua, ...script } = CHROMIUM_HTTP_GET;
  assert.equal((await t.app.request("/generate-2fa", { headers: script })).status, 200);
  const python = { ...script, "user-agent": "python-requests/2.31.0" };
  assert.equal((await t.app.request("/generate-2fa", { headers: python })).status, 200);
  for (const host of ["127.0.0.1:8080", "localhost:8080"]) {
    const page = { ...CHROMIUM_HTTP_GET, host, referer: `http://${host}/` };
    assert.equal((await t.app.request("/generate-2fa", { headers: page })).status, 200, host);
  }
});

Deno.test("DNS rebinding, default: a CORS_ORIGINS page calling the service by its name is cross-origin, not refused", async () => {
  await using t = await createAppFixture({
    security: { corsOrigins: ["https://app.example.com"] },
  });
  const preflight = await t.app.request("/verify-2fa", {
    method: "OPTIONS",
    headers: {
      host: "api.example.com",
      origin: "https://app.example.com",
      "access-control-request-method": "POST",
      "sec-fetch-site": "same-site",
      "user-agent": CHROMIUM_HTTP_GET["user-agent"],
    },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example.com");
  const post = await t.call("POST", "/verify-2fa", { code: "123456" }, {
    host: "api.example.com",
    origin: "https://app.example.com",
    "sec-fetch-site": "same-site",
    "user-agent": CHROMIUM_HTTP_GET["user-agent"],
  });
  assert.deepEqual(await statusAndBody(post), {
    status: 500,
    body: { error: "Seed not decrypted yet" },
  });
});

Deno.test("ALLOWED_HOSTS behind a trusted proxy: a page's own X-Forwarded-Host never stands in for Host", async () => {
  await using t = await createAppFixture({
    security: { trustProxy: true, allowedHosts: ["auth.example.com"] },
  });
  const page = { ...CHROMIUM_HTTP_GET, host: "evil.test", "x-forwarded-host": "localhost" };
  assert.deepEqual(
    await statusAndBody(await t.app.request("/generate-2fa", { headers: page })),
    HOST_REFUSED,
  );
  const listed = { host: "auth.example.com", "x-forwarded-host": "auth.example.com" };
  assert.equal((await t.call("GET", "/health", undefined, listed)).status, 200);
  const smuggled = { host: "auth.example.com", "x-forwarded-host": "auth.example.com, evil.test" };
  assert.equal((await t.call("GET", "/health", undefined, smuggled)).status, 421);
});

Deno.test("ALLOWED_HOSTS: only real IP literals pass as such", async () => {
  await using t = await createAppFixture({ security: { allowedHosts: ["auth.example.com"] } });
  const status = async (host: string) =>
    (await t.call("GET", "/health", undefined, { host })).status;
  assert.deepEqual(
    await Promise.all(
      [
        "[::1]:8080",
        "10.0.0.7",
        "255.255.255.255:80",
        "[::1]evil.test",
        "[evil.test]",
        "999.999.999.999",
        "1.2.3",
        "localhost.evil.test",
      ].map(status),
    ),
    [200, 200, 200, 421, 421, 421, 421, 421],
  );
});

Deno.test("DNS rebinding, default: https (Fetch Metadata present) by a name is not rebinding; PowerShell is not a browser", async () => {
  await using t = await createAppFixture();
  await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt(SEED) });
  // /docs' own script and a console form over https by the service's name.
  const script = await t.app.request("/generate-2fa", {
    headers: {
      host: "pki.lan",
      "sec-fetch-site": "same-origin",
      "sec-fetch-mode": "no-cors",
      "user-agent": CHROMIUM_HTTP_GET["user-agent"],
    },
  });
  assert.equal(script.status, 200);
  const form = await t.call("POST", "/verify-2fa", { code: "000000" }, {
    host: "pki.lan",
    origin: "https://pki.lan",
    "sec-fetch-site": "same-origin",
    "user-agent": CHROMIUM_HTTP_GET["user-agent"],
  });
  assert.equal(form.status, 200);
  for (
    const agent of [
      "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-US) PowerShell/7.4.6",
      "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.22621.4111",
    ]
  ) {
    const grader = await t.app.request("/generate-2fa", {
      headers: { host: "grader-box.local:8080", "user-agent": agent },
    });
    assert.equal(grader.status, 200, agent);
  }
});
