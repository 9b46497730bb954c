/**
 * The console's two static files, served by the service itself (no CDN): its style sheet and
 * its icon. Read once from beside this module and kept in memory.
 *
 * @module
 */
import { Hono } from "hono";

const ASSETS: Readonly<Record<string, string>> = {
  "console.css": "text/css; charset=utf-8",
  "icon.svg": "image/svg+xml",
};

/** The asset routes, `/admin/assets/NAME`. */
export function assetRoutes(): Hono {
  const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  function asset(name: string): Promise<Uint8Array<ArrayBuffer>> {
    let bytes = cache.get(name);
    if (bytes === undefined) {
      bytes = Deno.readFile(new URL(`./assets/${name}`, import.meta.url));
      bytes.catch(() => cache.delete(name));
      cache.set(name, bytes);
    }
    return bytes;
  }
  return new Hono().get("/admin/assets/:name", async (c) => {
    const name = c.req.param("name");
    // Own properties only: "constructor" is not an asset (it was a 500).
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (type === undefined) return c.json({ error: "Not found" }, 404);
    c.header("Content-Type", type);
    // An hour: an upgrade's new style sheet reaches every browser the same day.
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(await asset(name));
  });
}
