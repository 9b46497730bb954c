/**
 * The service's npm packages are kept apart from the test, bench and tooling ones, so a
 * first `deno task start` (and the container) fetch only what the service runs.
 *
 * Why two configs and two lockfiles: Deno installs every package of the lockfile's npm
 * snapshot before it runs anything, and `deno task` first resolves every import of
 * `deno.json`, whatever the entry point loads (a Deno workspace shares one lockfile, and
 * `--unstable-npm-lazy-caching` is ignored by the task runner; both were measured). So
 * `deno.json` and `deno.lock` hold only the service's packages and type-check only the
 * service's code, and the test, check, bench and interop tasks run with `deno.dev.json` and
 * `testing/dev.lock`, which add the rest.
 */
import assert from "node:assert/strict";
import { run } from "../testing/command.ts";
import { DENO, PROJECT_ROOT } from "../testing/server_process.ts";

interface Lockfile {
  specifiers: Record<string, string>;
  npm: Record<string, { integrity: string; dependencies?: string[] }>;
  workspace: { dependencies: string[] };
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(`${PROJECT_ROOT}/${path}`)) as T;
}

interface Config {
  imports: Record<string, string>;
  exclude: string[];
  [key: string]: unknown;
}

const denoJson = await readJson<Config>("deno.json");
const devJson = await readJson<Config>("deno.dev.json");
const runtimeLock = await readJson<Lockfile>("deno.lock");
const devLock = await readJson<Lockfile>("testing/dev.lock");

/** `npm:@hono/zod-openapi@1.6.3` or `npm:/hono@4.13.19/` → `hono@4.13.19`. */
function packageOf(target: string): string {
  const match = target.match(/^npm:\/?(@?[^@/]+(?:\/[^@/]+)?@[^/_]+)/);
  assert.ok(match, `${target} is an npm: specifier with a version`);
  return match[1]!;
}

/** The npm packages (name@version) that the module graph of `entry` imports. */
async function importedPackages(entry: string): Promise<string[]> {
  const result = await run(DENO, ["info", "--json", entry], { cwd: PROJECT_ROOT });
  assert.equal(result.code, 0, `deno info ${entry}: ${result.stderr}`);
  const graph = JSON.parse(result.stdout) as { modules: { npmPackage?: string }[] };
  return graph.modules.flatMap((module) =>
    module.npmPackage ? [packageOf(`npm:${module.npmPackage}`)] : []
  );
}

/** What runs with deno.json alone: main.ts, the CLI tools (the health check among them), deno task docs. */
async function runtimeEntries(): Promise<string[]> {
  const entries = ["main.ts", "docs/config_reference.ts"];
  for await (const entry of Deno.readDir(`${PROJECT_ROOT}/cli`)) {
    if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      entries.push(`cli/${entry.name}`);
    }
  }
  return entries.sort();
}

/**
 * Declared for the service before its first import; each costs a first start one download,
 * so this list must shrink, not grow.
 */
const DECLARED_AHEAD: string[] = [];

Deno.test("deno.json imports the packages the service and its CLI tools import, and no other", async () => {
  const imported = new Set<string>();
  for (const entry of await runtimeEntries()) {
    for (const name of await importedPackages(entry)) imported.add(name);
  }
  const declared = new Set(Object.values(denoJson.imports).map(packageOf));
  assert.deepEqual([...imported].filter((name) => !declared.has(name)), [], "undeclared");
  assert.deepEqual([...declared].filter((name) => !imported.has(name)).sort(), DECLARED_AHEAD);
});

Deno.test("deno.dev.json is deno.json plus the dev-only packages, with the same compiler settings", () => {
  for (const [name, target] of Object.entries(denoJson.imports)) {
    assert.equal(devJson.imports[name], target, name);
  }
  const devOnly = Object.keys(devJson.imports).filter((name) => !(name in denoJson.imports));
  assert.deepEqual(devOnly.sort(), [
    "@readme/openapi-parser",
    "axe-core",
    "fast-check",
    "parse-prometheus-text-format",
    "playwright-core",
    "yaml",
  ]);
  for (const key of ["nodeModulesDir", "unstable", "compilerOptions"]) {
    assert.deepEqual(devJson[key], denoJson[key], key);
  }
  assert.deepEqual(devJson.lock, { path: "testing/dev.lock", frozen: true });
  assert.deepEqual(denoJson.lock, { path: "deno.lock", frozen: true });
  // deno.json leaves the files that load dev-only packages to deno.dev.json (so a plain
  // `deno check .` checks the service alone); fmt and lint still cover them.
  const devFiles = ["**/*_test.ts", "bench/", "e2e/", "testing/"];
  assert.deepEqual(denoJson.exclude, [...devJson.exclude, ...devFiles]);
  for (const tool of ["fmt", "lint"]) {
    const excluded = (denoJson[tool] as { exclude: string[] }).exclude;
    for (const files of devFiles) assert.ok(excluded.includes(`!${files}`), `${tool}: !${files}`);
  }
});

Deno.test("deno.lock holds only the closure of the service's imports, as pinned in dev.lock", () => {
  // Walk the snapshot from the resolved imports: anything left over would be installed
  // by every first start for nothing.
  const reached = new Set<string>();
  // A dependency is written as a bare name, or as name@version when several versions exist.
  const resolve = (dependency: string) => {
    const versioned = dependency.slice(1).includes("@");
    const matches = Object.keys(runtimeLock.npm).filter((key) =>
      versioned
        ? key === dependency || key.startsWith(`${dependency}_`)
        : key.startsWith(`${dependency}@`)
    );
    return matches.length === 1 ? matches[0] : undefined;
  };
  const pending = Object.entries(runtimeLock.specifiers).map(([specifier, resolved]) =>
    `${specifier.replace(/^npm:(@?[^@]+)@.*$/, "$1")}@${resolved}`
  );
  while (pending.length > 0) {
    const key = pending.pop()!;
    if (reached.has(key)) continue;
    assert.ok(runtimeLock.npm[key], `${key} is in deno.lock's npm snapshot`);
    reached.add(key);
    for (const dependency of runtimeLock.npm[key]!.dependencies ?? []) {
      const child = resolve(dependency);
      assert.ok(child, `${key} depends on ${dependency}, which deno.lock holds once`);
      pending.push(child);
    }
  }
  assert.deepEqual([...reached].sort(), Object.keys(runtimeLock.npm).sort());
  for (const [key, entry] of Object.entries(runtimeLock.npm)) {
    assert.deepEqual(devLock.npm[key], entry, `${key}: the same version and integrity in both`);
  }
  for (const [specifier, resolved] of Object.entries(runtimeLock.specifiers)) {
    assert.equal(devLock.specifiers[specifier], resolved, specifier);
  }
});
