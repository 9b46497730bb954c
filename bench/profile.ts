/**
 * `deno task bench:profile`: where the service spends its CPU on one hot path. Starts the
 * service with `--cpu-prof`, loads one route with wrk, stops it (the profile is written at
 * exit) and prints the functions with the most self time and the share of each package.
 * The raw `.cpuprofile` is kept for Chrome DevTools.
 *
 * Usage: deno task bench:profile [health|generate|verify|verify-wrong] ...
 * Environment: PROFILE_SECONDS (10), PROFILE_CONNECTIONS (32), PROFILE_TOP (25).
 *
 * @module
 */
import { say } from "./paths.ts";
import { startService } from "./servers.ts";
import { runWrk } from "./wrk.ts";
import { createFixture, seedServer } from "./fixture.ts";
import { summarizeProfile } from "./profile_summary.ts";

const SECONDS = Number(Deno.env.get("PROFILE_SECONDS") ?? "10");
const CONNECTIONS = Number(Deno.env.get("PROFILE_CONNECTIONS") ?? "32");
const TOP = Number(Deno.env.get("PROFILE_TOP") ?? "25");

const fixture = await createFixture();
const cases = Deno.args.length > 0 ? Deno.args : ["verify"];
const outDir = await Deno.makeTempDir({ prefix: "pki2fa-profile-" });
try {
  for (const name of cases) {
    const dir = `${outDir}/${name}`;
    const service = await startService(
      { ...fixture.relaxedEnv, DATA_DIR: `${fixture.work}/profile-${name}` },
      { denoFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`] },
    );
    await seedServer(service, fixture);
    const load = {
      health: { path: "/health", method: "GET" as const },
      generate: { path: "/generate-2fa", method: "GET" as const },
      verify: {
        path: "/verify-2fa",
        method: "POST" as const,
        body: JSON.stringify({ code: await fixture.currentCode() }),
      },
      "verify-wrong": {
        path: "/verify-2fa",
        method: "POST" as const,
        body: JSON.stringify({ code: await fixture.wrongCode() }),
      },
    }[name];
    if (load === undefined) throw new Error(`Unknown case ${name}`);
    const result = await runWrk({
      url: service.url + load.path,
      method: load.method,
      ...("body" in load ? { body: load.body } : {}),
      connections: CONNECTIONS,
      seconds: SECONDS,
      warmupSeconds: 2,
    });
    await service.stop();
    const [file] = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".cpuprofile"));
    if (file === undefined) throw new Error(`No profile written in ${dir}`);
    const path = `${dir}/${file.name}`;
    say(`\n## ${name}: ${result.rps} req/s, p99 ${result.p99} ms (profile: ${path})`);
    say(summarizeProfile(JSON.parse(await Deno.readTextFile(path)), { top: TOP }));
  }
} finally {
  await Deno.remove(fixture.work, { recursive: true });
}
