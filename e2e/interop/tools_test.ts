/**
 * The interop suite checks our work with programs no one here wrote. Missing ones fail
 * here first, all at once, with the one apt command that installs them: never a skip.
 */
import assert from "node:assert/strict";

/** Program → Debian package, for every program the interop suite runs. */
export const INTEROP_TOOLS: Readonly<Record<string, string>> = Object.freeze({
  openssl: "openssl",
  oathtool: "oathtool",
  "redis-server": "redis-server",
  "rsvg-convert": "librsvg2-bin",
  zbarimg: "zbar-tools",
  "docker-compose": "docker-compose",
  chromium: "chromium",
  wrk: "wrk",
});

async function onPath(program: string): Promise<boolean> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if ((await Deno.stat(`${dir}/${program}`)).isFile) return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

Deno.test("every program the interop suite runs is installed", async () => {
  const missing: string[] = [];
  for (const [program, pkg] of Object.entries(INTEROP_TOOLS)) {
    if (!await onPath(program)) missing.push(pkg);
  }
  assert.deepEqual(
    missing,
    [],
    `missing programs; install them with: apt-get install -y ${missing.join(" ")}`,
  );
});
