/**
 * Debian's chromium driven by playwright-core, as the browser tests need it on these
 * machines: headless, no sandbox (tests run as root), no GPU, no background traffic. Every
 * request to a host other than loopback is refused and recorded, and so is every console
 * error, so a test can assert that a page stayed on the machine and ran clean. axe-core (from
 * npm) checks a page against WCAG 2.1 A and AA.
 *
 * @module
 */
import axe from "axe-core";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's chromium (`apt-get install -y chromium`). */
export const CHROMIUM = "/usr/bin/chromium";

/** Launches chromium, or fails with the command that installs it. */
export async function launchChromium(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

/** What a watched page did that a test must see empty. */
export interface PageWatch {
  /** URLs of refused requests to hosts other than loopback. */
  foreign: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Refuses and records non-loopback requests and records console errors of `page`. */
export async function watchPage(page: Page): Promise<PageWatch> {
  const watch: PageWatch = { foreign: [], errors: [] };
  // On the whole context: pages opened later (measurements) are covered too.
  await page.context().route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || LOOPBACK.has(url.hostname)) return route.continue();
    watch.foreign.push(url.href);
    return route.abort();
  });
  page.on("console", (message) => {
    if (message.type() === "error") watch.errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => watch.errors.push(`${page.url()}: ${error.message}`));
  return watch;
}

/** One axe-core violation, short enough for an assertion message. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page against WCAG 2.0 and 2.1, levels A and AA, plus its best
 * practices. The script goes in through the DevTools protocol (not a `<script>` tag), so the
 * page's strict CSP stays as it is.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axe.source);
  const options = {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  };
  // A string, evaluated in the page: `document` and `axe` are the page's.
  const result = await page.evaluate(`axe.run(document, ${JSON.stringify(options)})`) as {
    violations: {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: string[] }[];
    }[];
  };
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}
