/**
 * `GET /openapi.json` and `GET /docs`: the OpenAPI 3.1 document generated from the zod
 * schemas, and Swagger UI (from the `swagger-ui-dist` npm package) rendering it with
 * try-it-out. Every asset is served by the service itself — no CDN — so the page works
 * on a machine with no internet access.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { join } from "node:path";
// Only the path helper: the package's main module would load the 1.5 MB bundle into the
// service at start.
import getAbsoluteFSPath from "swagger-ui-dist/absolute-path.js";

/** The Swagger UI files the page loads, and their types. */
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

// Swagger UI injects inline styles; scripts come only from this origin.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
  "script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/** A browser page gets the full set (Hono's secureHeaders defaults) and its own CSP. */
const PAGE_HEADERS: readonly (readonly [string, string])[] = [
  ["Content-Security-Policy", CSP],
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "DENY"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>pki-2fa API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
  persistAuthorization: false,
});
`;

/** The docs page and its assets. */
export function docsRoutes(): Hono {
  const dir = getAbsoluteFSPath();
  const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  function asset(name: string): Promise<Uint8Array<ArrayBuffer>> {
    let bytes = cache.get(name);
    if (bytes === undefined) {
      bytes = Deno.readFile(join(dir, name));
      bytes.catch(() => cache.delete(name));
      cache.set(name, bytes);
    }
    return bytes;
  }
  const page = (c: Context) => {
    for (const [name, value] of PAGE_HEADERS) c.header(name, value);
    return c.html(PAGE);
  };
  return new Hono()
    .get("/docs", (c) => page(c))
    .get("/docs/", (c) => page(c))
    // One route for init.js and the assets: a static path beside a pattern on the same
    // level makes Hono fall back from its RegExpRouter to the slower TrieRouter for every
    // route of the app (bench/README.md).
    .get("/docs/:asset{[a-z0-9.-]+}", async (c) => {
      const name = c.req.param("asset");
      if (name === "init.js") {
        c.header("Content-Type", "text/javascript; charset=utf-8");
        return c.body(INIT);
      }
      // Own properties only: "constructor" is not an asset (it was a 500).
      const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
      if (type === undefined) return c.json({ error: "Not found" }, 404);
      c.header("Content-Type", type);
      c.header("Cache-Control", "public, max-age=86400");
      return c.body(await asset(name));
    });
}
