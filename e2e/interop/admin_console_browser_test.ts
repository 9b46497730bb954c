/**
 * The admin console in a real browser: Debian's chromium (playwright-core) at 360 px wide
 * against the real service, every non-loopback request blocked and recorded. Sign in; enrol
 * alice; read the QR code from the page's SVG (rsvg-convert, then zbarimg) back to the
 * otpauth URI; confirm with the code computed from its secret; see alice in the list; lock
 * her through the API and unlock her from her page; make recovery codes; delete her; sign
 * out. On every page: the CSP header, no axe-core violation, no console error, nothing wider
 * than the screen. Also: the session cookie's flags, and a form posted from another site is
 * refused. It measures the subjects list's weight and render time (test_output/) and saves
 * screenshots there.
 */
import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import type { BrowserContext, Page, Response } from "playwright-core";
import { opensslKeyPair } from "../../testing/openssl.ts";
import { PROJECT_ROOT, startServer } from "../../testing/server_process.ts";
import { run, runOk } from "../../testing/command.ts";
import {
  axeViolations,
  launchChromium,
  type PageWatch,
  watchPage,
} from "../../testing/chromium.ts";
import { ADMIN_CSP } from "../../routes/admin/admin_routes.tsx";
import { measurePage } from "../../testing/page_weight.ts";
import { report } from "../../testing/report.ts";

const TOKEN = "browser-admin-token-0123456789";
const OUT = `${PROJECT_ROOT}/test_output`;

/** Checks the page now shown: its CSP (from the document response), axe, and its width. */
async function checkPage(page: Page, response: Response | null, checked: string[]): Promise<void> {
  assert.ok(response !== null, `no response for ${page.url()}`);
  assert.equal(response.headers()["content-security-policy"], ADMIN_CSP, page.url());
  assert.deepEqual(await axeViolations(page), [], `axe on ${page.url()}`);
  const overflow = await page.evaluate("document.documentElement.scrollWidth - innerWidth");
  assert.equal(overflow, 0, `${page.url()} is wider than the screen`);
  checked.push(new URL(page.url()).pathname);
}

/** A link of the console's navigation. */
function menu(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Console" }).getByRole("link", { name, exact: true });
}

/** Clicks something that submits or navigates, and returns the final document's response. */
async function navigate(page: Page, action: () => Promise<unknown>): Promise<Response | null> {
  const [response] = await Promise.all([page.waitForNavigation(), action()]);
  return response;
}

Deno.test("admin console in chromium: sign in, enrol with the QR code, confirm, unlock, recovery codes, delete", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-console-" });
  await opensslKeyPair(dir);
  const server = await startServer({
    KEYS_DIR: dir,
    DATA_DIR: `${dir}/data`,
    CRON_DIR: `${dir}/cron`,
    ADMIN_TOKEN: TOKEN,
  });
  const api = (method: string, path: string, body?: unknown) =>
    fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const browser = await launchChromium();
  let context: BrowserContext | undefined;
  const checked: string[] = [];
  let watch: PageWatch = { foreign: [], errors: [] };
  try {
    await Deno.mkdir(OUT, { recursive: true });
    context = await browser.newContext({ viewport: { width: 360, height: 780 } });
    const page = await context.newPage();
    watch = await watchPage(page);

    // Sign in.
    let response = await page.goto(`${server.url}/admin`);
    assert.equal(new URL(page.url()).pathname, "/admin/sign-in");
    await checkPage(page, response, checked);
    await page.getByLabel("Admin token").fill(TOKEN);
    response = await navigate(page, () => page.getByRole("button", { name: "Sign in" }).click());
    assert.equal(new URL(page.url()).pathname, "/admin/subjects");
    await checkPage(page, response, checked);
    const cookies = await context.cookies(`${server.url}/admin/subjects`);
    assert.deepEqual(
      cookies.map(({ name, path, httpOnly, secure, sameSite, expires }) => ({
        name,
        path,
        httpOnly,
        secure,
        sameSite,
        expires,
      })),
      [{
        name: "pki2fa_admin",
        path: "/admin",
        httpOnly: true,
        secure: false, // plain HTTP on loopback; Secure behind TLS (route tests)
        sameSite: "Strict",
        expires: -1, // a session cookie: gone with the browser
      }],
    );
    assert.match(cookies[0]!.value, /^[\w-]{43}$/);
    assert.equal(await page.evaluate("document.cookie"), "", "HttpOnly: no script sees it");

    // Enrol alice.
    response = await navigate(page, () => menu(page, "Enrol").click());
    await checkPage(page, response, checked);
    await page.getByLabel("Subject id").fill("alice");
    await page.getByLabel("Issuer").fill("ACME Co");
    await page.getByLabel("Account name").fill("alice@example.com");
    response = await navigate(page, () => page.getByRole("button", { name: "Enrol" }).click());
    assert.equal(new URL(page.url()).pathname, "/admin/subjects/alice/enrolment");
    await checkPage(page, response, checked);
    await page.screenshot({ path: `${OUT}/admin_console_enrolment.png`, fullPage: true });

    // The QR code, from the page's SVG, through rsvg-convert and zbarimg.
    const svg = await page.locator('[data-testid="qr"] svg').evaluate((node) => node.outerHTML);
    await Deno.writeTextFile(`${dir}/qr.svg`, svg);
    await runOk("rsvg-convert", [
      "-w",
      "600",
      "-b",
      "white",
      `${dir}/qr.svg`,
      "-o",
      `${dir}/qr.png`,
    ]);
    const decoded = await run("zbarimg", ["--raw", "-q", `${dir}/qr.png`]);
    assert.equal(decoded.code, 0, decoded.stderr);
    const uri = decoded.stdout.trim();
    const totp = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
    assert.equal(
      uri,
      `otpauth://totp/ACME%20Co:alice%40example.com?secret=${totp.secret.base32}` +
        "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
    );
    const typed = (await page.getByTestId("secret").innerText()).replaceAll(" ", "");
    assert.equal(typed, totp.secret.base32, "the secret for typing in is the QR code's");
    assert.equal((await (await api("GET", "/v1/subjects/alice")).json()).confirmed, false);

    // Confirm with the code the app would show.
    await page.getByLabel("Code from the app").fill(totp.generate());
    response = await navigate(
      page,
      () => page.getByRole("button", { name: "Confirm enrolment" }).click(),
    );
    assert.equal(new URL(page.url()).pathname, "/admin/subjects/alice");
    await checkPage(page, response, checked);
    assert.equal(
      await page.getByRole("status").innerText(),
      "Enrolment confirmed: the subject verifies from now on.",
    );
    assert.equal((await (await api("GET", "/v1/subjects/alice")).json()).confirmed, true);

    // Alice in the list; its weight and render time; screenshots.
    response = await navigate(page, () => menu(page, "Subjects").click());
    await checkPage(page, response, checked);
    const row = page.locator("tbody tr").first();
    assert.match(await row.innerText(), /^alice/);
    await page.screenshot({ path: `${OUT}/admin_console_subjects_360.png`, fullPage: true });
    await page.setViewportSize({ width: 1100, height: 560 });
    await page.screenshot({ path: `${OUT}/admin_console.png` });
    await page.setViewportSize({ width: 360, height: 780 });
    const metrics = await measurePage(
      browser,
      await context.cookies(`${server.url}/admin/subjects`),
      `${server.url}/admin/subjects`,
    );
    assert.deepEqual(metrics.requested.filter((url) => !url.startsWith(server.url)), []);
    await Deno.writeTextFile(
      `${OUT}/admin_console_metrics.json`,
      JSON.stringify(metrics, null, 2) + "\n",
    );
    report(`subjects list: ${JSON.stringify({ cold: metrics.cold, warm: metrics.warm })}`);

    // Locked through the API, unlocked from her page.
    for (let i = 0; i < 5; i++) {
      const wrong = await api("POST", "/v1/subjects/alice/verify", { code: "000000" });
      assert.deepEqual(await wrong.json(), { valid: false });
    }
    assert.equal((await api("POST", "/v1/subjects/alice/verify", { code: "000000" })).status, 429);
    response = await navigate(
      page,
      () => page.getByRole("link", { name: "alice", exact: true }).click(),
    );
    await checkPage(page, response, checked);
    assert.match(await page.locator("dl.facts").innerText(), /Failed attempts\s+5/);
    response = await navigate(
      page,
      () => page.getByRole("button", { name: "Unlock alice" }).click(),
    );
    await checkPage(page, response, checked);
    assert.equal(
      await page.getByRole("status").innerText(),
      "Unlocked: the failure count and the lock are cleared.",
    );
    assert.equal((await (await api("GET", "/v1/subjects/alice")).json()).locked, false);

    // Recovery codes, shown once, good through the API.
    response = await navigate(
      page,
      () => page.getByRole("button", { name: "Make new recovery codes" }).click(),
    );
    assert.equal(response?.status(), 201);
    await checkPage(page, response, checked);
    const codes = await page.getByTestId("recovery-codes").locator("li").allInnerTexts();
    assert.equal(codes.length, 10);
    assert.deepEqual(
      await (await api("POST", "/v1/subjects/alice/verify", { recovery_code: codes[0] })).json(),
      { valid: true, recovery_codes_left: 9 },
    );

    // Delete, after the confirmation page.
    response = await navigate(
      page,
      () => page.getByRole("link", { name: "Back to alice" }).click(),
    );
    response = await navigate(
      page,
      () => page.getByRole("link", { name: "Delete alice…" }).click(),
    );
    await checkPage(page, response, checked);
    response = await navigate(
      page,
      () => page.getByRole("button", { name: "Delete alice" }).click(),
    );
    assert.equal(new URL(page.url()).pathname, "/admin/subjects");
    await checkPage(page, response, checked);
    assert.equal(await page.getByRole("status").innerText(), "The subject was deleted.");
    assert.equal((await api("GET", "/v1/subjects/alice")).status, 404);

    // The service page, then sign out.
    response = await navigate(page, () => menu(page, "Service").click());
    await checkPage(page, response, checked);
    assert.match(await page.locator("main").innerText(), /seed-encryption\s+active\s+[0-9a-f]{64}/);
    response = await navigate(page, () => page.getByRole("button", { name: "Sign out" }).click());
    assert.equal(new URL(page.url()).pathname, "/admin/sign-in");
    await checkPage(page, response, checked);
    assert.deepEqual(await context.cookies(`${server.url}/admin/subjects`), []);

    assert.deepEqual(checked, [
      "/admin/sign-in",
      "/admin/subjects",
      "/admin/enrol",
      "/admin/subjects/alice/enrolment",
      "/admin/subjects/alice",
      "/admin/subjects",
      "/admin/subjects/alice",
      "/admin/subjects/alice",
      "/admin/subjects/alice/recovery-codes",
      "/admin/subjects/alice/delete",
      "/admin/subjects",
      "/admin/service",
      "/admin/sign-in",
    ]);
    assert.deepEqual(watch.foreign, [], "a page tried to reach another host");
    assert.deepEqual(watch.errors, [], "console errors");
  } finally {
    await context?.close();
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("admin console in chromium: a form posted from another site is refused, and carries no session cookie", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-console-" });
  await opensslKeyPair(dir);
  const server = await startServer({
    KEYS_DIR: dir,
    DATA_DIR: `${dir}/data`,
    CRON_DIR: `${dir}/cron`,
    ADMIN_TOKEN: TOKEN,
  });
  // Another site on this machine: localhost is not the same site as 127.0.0.1.
  const target = `${server.url}/admin/enrol`;
  const evil = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
    new Response(
      `<!doctype html><title>evil</title><form method="post" action="${target}">` +
        '<input name="csrf" value="guess"><input name="subject" value="mallory">' +
        '<input name="issuer" value="x"><input name="account_name" value="x"></form>' +
        "<script>document.forms[0].submit()</script>",
      { headers: { "content-type": "text/html" } },
    ));
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = await watchPage(page);
    await page.goto(`${server.url}/admin/sign-in`);
    await page.getByLabel("Admin token").fill(TOKEN);
    await navigate(page, () => page.getByRole("button", { name: "Sign in" }).click());
    assert.equal(new URL(page.url()).pathname, "/admin/subjects");
    const [refused] = await Promise.all([
      page.waitForResponse(target),
      page.goto(`http://localhost:${evil.addr.port}/`),
    ]);
    assert.equal(refused.status(), 403);
    assert.deepEqual(await refused.json(), { error: "Cross-site request refused" });
    const sent = await refused.request().allHeaders();
    assert.equal(sent["origin"], `http://localhost:${evil.addr.port}`);
    assert.equal(sent["cookie"], undefined, "SameSite=Strict: no session cookie cross-site");
    assert.equal(
      (await fetch(`${server.url}/v1/subjects/mallory`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })).status,
      404,
    );
    assert.deepEqual(watch.foreign, []);
    await context.close();
  } finally {
    await browser.close();
    await evil.shutdown();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("admin console in chromium: the pages off the happy path pass axe too (errors, export, 404)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-console-" });
  await opensslKeyPair(dir);
  const server = await startServer({
    KEYS_DIR: dir,
    DATA_DIR: `${dir}/data`,
    CRON_DIR: `${dir}/cron`,
    ADMIN_TOKEN: TOKEN,
    EXPORT_ENABLED: "true",
  });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
    const page = await context.newPage();
    // Error pages answer 4xx, which chromium logs to the console: only foreign requests count here.
    const watch = await watchPage(page);
    const checked: string[] = [];
    let response = await page.goto(`${server.url}/admin/sign-in`);
    await page.getByLabel("Admin token").fill("not-the-token-0123456789");
    response = await navigate(page, () => page.getByRole("button", { name: "Sign in" }).click());
    assert.equal(response?.status(), 401);
    await checkPage(page, response, checked);
    await page.getByLabel("Admin token").fill(TOKEN);
    await navigate(page, () => page.getByRole("button", { name: "Sign in" }).click());
    response = await page.goto(`${server.url}/admin/subjects?q=nobody`);
    await checkPage(page, response, checked);
    response = await page.goto(`${server.url}/admin/enrol`);
    await page.getByLabel("Subject id").fill("bob");
    await page.getByLabel("Issuer").fill("ACME");
    await page.getByLabel("Account name").fill("bob");
    await navigate(page, () => page.getByRole("button", { name: "Enrol" }).click());
    await page.goto(`${server.url}/admin/enrol`);
    await page.getByLabel("Subject id").fill("bob");
    await page.getByLabel("Issuer").fill("ACME");
    await page.getByLabel("Account name").fill("bob");
    await page.locator("summary").click();
    await page.getByLabel("Digits").selectOption("8");
    response = await navigate(page, () => page.getByRole("button", { name: "Enrol" }).click());
    assert.equal(response?.status(), 409);
    await checkPage(page, response, checked);
    response = await page.goto(`${server.url}/admin/subjects/bob/enrolment`);
    await page.getByLabel("Code from the app").fill("000000");
    response = await navigate(
      page,
      () => page.getByRole("button", { name: "Confirm enrolment" }).click(),
    );
    assert.equal(response?.status(), 422);
    await checkPage(page, response, checked);
    response = await page.goto(`${server.url}/admin/subjects/bob`);
    await checkPage(page, response, checked);
    const recipient = `${dir}/recipient`;
    await Deno.mkdir(recipient);
    const { publicPath } = await opensslKeyPair(recipient);
    await page.getByLabel("Recipient's RSA public key (PEM)").fill(
      await Deno.readTextFile(publicPath),
    );
    response = await navigate(
      page,
      () => page.getByRole("button", { name: "Export sealed seed" }).click(),
    );
    assert.equal(response?.status(), 200);
    await checkPage(page, response, checked);
    response = await page.goto(`${server.url}/admin/no-such-page`);
    assert.equal(response?.status(), 404);
    await checkPage(page, response, checked);
    assert.deepEqual(checked, [
      "/admin/sign-in",
      "/admin/subjects",
      "/admin/enrol",
      "/admin/subjects/bob/confirm",
      "/admin/subjects/bob",
      "/admin/subjects/bob/export",
      "/admin/no-such-page",
    ]);
    assert.deepEqual(watch.foreign, []);
    await context.close();
  } finally {
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
