/**
 * The docs page in a real browser: Debian's chromium driven by playwright-core opens
 * /docs on the real service, with every request to another host blocked and recorded.
 * The operation list must render, the three assignment endpoints and /health must be
 * listed, and try-it-out on GET /health must show the 200 answer.
 */
import assert from "node:assert/strict";
import { launchChromium } from "../../testing/chromium.ts";
import { opensslKeyPair } from "../../testing/openssl.ts";
import { PROJECT_ROOT, startServer } from "../../testing/server_process.ts";

Deno.test("GET /docs works offline in chromium: operations listed, try-it-out on /health", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-docs-" });
  await opensslKeyPair(dir);
  const server = await startServer({
    KEYS_DIR: dir,
    DATA_DIR: `${dir}/data`,
    CRON_DIR: `${dir}/cron`,
  });
  const browser = await launchChromium();
  try {
    const origin = new URL(server.url).origin;
    const page = await browser.newPage();
    const foreign: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector(".opblock", { timeout: 30_000 });
    const paths = await page.locator(".opblock-summary-path").allInnerTexts();
    for (const path of ["/decrypt-seed", "/generate-2fa", "/verify-2fa", "/health"]) {
      assert.ok(paths.some((p) => p.replace(/\u200b/g, "").trim() === path), `${path} in ${paths}`);
    }
    const health = page.locator("#operations-Probes-get_health");
    await health.locator(".opblock-summary").click();
    await health.locator("button.try-out__btn").click();
    await health.locator("button.execute").click();
    const liveStatus = health.locator(".live-responses-table tbody .response-col_status").first();
    await liveStatus.waitFor({ timeout: 15_000 });
    assert.equal((await liveStatus.innerText()).trim(), "200");
    assert.match(
      await health.locator(".live-responses-table .microlight").first().innerText(),
      /"status": "ok"/,
    );
    await Deno.mkdir(`${PROJECT_ROOT}/test_output`, { recursive: true });
    await page.screenshot({ path: `${PROJECT_ROOT}/test_output/docs.png`, fullPage: true });
    assert.deepEqual(foreign, [], "the page tried to reach another host");
  } finally {
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
