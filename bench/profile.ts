/**
 * `deno task bench:profile`: where the service spends its CPU on one hot path. Starts the
 * service with `--cpu-prof`, loads one route with wrk, stops it (the profile is written at
 * exit) and prints the CPU time the service spent per request, its resident memory after
 * the load, the functions with the most self time and the share of each package.
 * The raw `.cpuprofile` is kept for Chrome DevTools.
 *
 * Usage: deno task bench:profile [health|generate|verify|verify-wrong] ...
 * Environment: PROFILE_SECONDS (10), PROFILE_CONNECTIONS (32), PROFILE_TOP (25),
 * PROFILE_CPU (`false`: no `--cpu-prof`, whose samples take memory of their own, to read
 * the CPU time and RSS alone), PROFILE_DENO_FLAGS (more `deno run` flags, space-separated,
 * e.g. `--v8-flags=--max-semi-space-size=2`).
 *
 * @module
 */
import { say } from "./paths.ts";
import { cpuSeconds, rssBytes, startService } from "./servers.ts";
import { runWrk } from "./wrk.ts";
import { createFixture, seedServer } from "./fixture.ts";
import { summarizeProfile } from "./profile_summary.ts";

const SECONDS = Number(Deno.env.get("PROFILE_SECONDS") ?? "10");
const CONNECTIONS = Number(Deno.env.get("PROFILE_CONNECTIONS") ?? "32");
const TOP = Number(Deno.env.get("PROFILE_TOP") ?? "25");
const CPU_PROFILE = Deno.env.get("PROFILE_CPU") !== "false";
const DENO_FLAGS = (Deno.env.get("PROFILE_DENO_FLAGS") ?? "").split(" ").filter((f) => f !== "");

const fixture = await createFixture();
const cases = Deno.args.length > 0 ? Deno.args : ["verify"];
const outDir = await Deno.makeTempDir({ prefix: "pki2fa-profile-" });
try {
  for (const name of cases) {
    const dir = `${outDir}/${name}`;
    const service = await startService(
      { ...fixture.relaxedEnv, DATA_DIR: `${fixture.work}/profile-${name}` },
      {
        denoFlags: [...(CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : []), ...DENO_FLAGS],
      },
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
    const wrkCase = {
      url: service.url + load.path,
      method: load.method,
      ...("body" in load ? { body: load.body } : {}),
      connections: CONNECTIONS,
      warmupSeconds: 0,
    };
    await runWrk({ ...wrkCase, seconds: 2 });
    // CPU time per request, user + system: unlike req/s, it holds on a machine that
    // other processes share, so two versions can be compared there.
    const cpuBefore = await cpuSeconds(service.pid);
    const result = await runWrk({ ...wrkCase, seconds: SECONDS });
    const cpuUs = (await cpuSeconds(service.pid) - cpuBefore) * 1e6 / result.requests;
    const rss = await rssBytes(service.pid);
    await service.stop();
    say(
      `\n## ${name}: ${
        cpuUs.toFixed(1)
      } µs CPU/request, ${result.rps} req/s, p99 ${result.p99} ms, RSS ${
        (rss / 1e6).toFixed(1)
      } MB after`,
    );
    if (!CPU_PROFILE) continue;
    const [file] = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".cpuprofile"));
    if (file === undefined) throw new Error(`No profile written in ${dir}`);
    const path = `${dir}/${file.name}`;
    say(`profile: ${path}`);
    say(summarizeProfile(JSON.parse(await Deno.readTextFile(path)), { top: TOP }));
  }
} finally {
  await Deno.remove(fixture.work, { recursive: true });
}
