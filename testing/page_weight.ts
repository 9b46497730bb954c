/**
 * The weight and render time of a page in chromium, for the admin console's report: bytes on
 * the wire (headers and bodies, as the DevTools protocol counts them) for the page and
 * everything it loads, and the browser's own navigation and paint timings. Cold runs have the
 * cache off; warm runs reload with the style sheet and icon cached.
 *
 * @module
 */
import type { Browser, Cookie, Page } from "playwright-core";

/** One load of the page. */
export interface PageLoad {
  /** Bytes received for the page and its resources, headers included. */
  bytes: number;
  /** How many responses that took. */
  requests: number;
  /** Milliseconds from the navigation's start to the first byte of the document. */
  firstByteMs: number;
  /** ... to the first contentful paint. */
  firstContentfulPaintMs: number;
  /** ... to the end of the load event. */
  loadMs: number;
}

/** Medians of several loads, and each load. */
export interface PageWeight {
  url: string;
  /** Every URL the loads requested (a test checks they all stayed on the service). */
  requested: string[];
  cold: PageLoad;
  warm: PageLoad;
  runs: { cold: PageLoad[]; warm: PageLoad[] };
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function medianLoad(loads: PageLoad[]): PageLoad {
  const of = (key: keyof PageLoad) => median(loads.map((load) => load[key]));
  return {
    bytes: of("bytes"),
    requests: of("requests"),
    firstByteMs: of("firstByteMs"),
    firstContentfulPaintMs: of("firstContentfulPaintMs"),
    loadMs: of("loadMs"),
  };
}

async function load(page: Page, url: string, cold: boolean): Promise<PageLoad> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: cold });
  let bytes = 0;
  let requests = 0;
  cdp.on("Network.loadingFinished", (event) => {
    // Served from the cache: nothing crossed the wire.
    if (event.encodedDataLength === 0) return;
    bytes += event.encodedDataLength;
    requests += 1;
  });
  // From a blank page, so a warm run is a visit, not a reload (which revalidates the cache).
  await page.goto("about:blank");
  await page.goto(url, { waitUntil: "load" });
  // Paint entries arrive just after load. Polled from here: waitForFunction would evaluate
  // strings inside the page, which its CSP (no unsafe-eval) rightly refuses.
  for (let tries = 0; tries < 100; tries++) {
    if (await page.evaluate("performance.getEntriesByName('first-contentful-paint').length > 0")) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const timing = await page.evaluate(`(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const fcp = performance.getEntriesByName("first-contentful-paint")[0];
    return { firstByte: nav.responseStart, fcp: fcp.startTime, load: nav.loadEventEnd };
  })()`) as { firstByte: number; fcp: number; load: number };
  await cdp.detach();
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    bytes,
    requests,
    firstByteMs: round(timing.firstByte),
    firstContentfulPaintMs: round(timing.fcp),
    loadMs: round(timing.load),
  };
}

/**
 * Loads `url` `runs` times cold and `runs` times warm, with `cookies` (a signed-in
 * session), in a context of its own: without request interception, which would turn the
 * browser's cache off and make every warm load a cold one.
 */
export async function measurePage(
  browser: Browser,
  cookies: Cookie[],
  url: string,
  runs = 5,
): Promise<PageWeight> {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
  try {
    await context.addCookies(cookies);
    const page = await context.newPage();
    const requested: string[] = [];
    page.on("request", (request) => void requested.push(request.url()));
    const cold: PageLoad[] = [];
    const warm: PageLoad[] = [];
    for (let i = 0; i < runs; i++) cold.push(await load(page, url, true));
    await load(page, url, false); // fills the cache
    for (let i = 0; i < runs; i++) warm.push(await load(page, url, false));
    return {
      url,
      requested: [...new Set(requested)],
      cold: medianLoad(cold),
      warm: medianLoad(warm),
      runs: { cold, warm },
    };
  } finally {
    await context.close();
  }
}
