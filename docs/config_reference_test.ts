/**
 * One list of configuration variables: docs/configuration.md and .env.example must say what
 * config.ts parses. The first two tests catch a stale file; the others read the files the way
 * a user would and check them against `loadConfig()` itself, so a wrong generator fails too.
 */
import assert from "node:assert/strict";
import { CONFIG_SPEC, CONFIG_VARIABLES, type ConfigVariableSpec, loadConfig } from "../config.ts";
import {
  LIST_END,
  LIST_START,
  renderConfigList,
  renderEnvExample,
  replaceBetween,
} from "./config_reference.ts";

const root = new URL("..", import.meta.url);
const configurationMd = await Deno.readTextFile(new URL("docs/configuration.md", root));
const envExample = await Deno.readTextFile(new URL(".env.example", root));
const STALE = "is stale: run `deno task docs` and commit the result";

Deno.test("docs/configuration.md holds the list generated from config.ts", () => {
  assert.equal(configurationMd, replaceBetween(configurationMd, renderConfigList()), STALE);
});

Deno.test(".env.example is the one generated from config.ts", () => {
  assert.equal(envExample, renderEnvExample(), `.env.example ${STALE}`);
});

Deno.test(".env.example names every variable once, and its values are the real defaults", () => {
  const active: Record<string, string> = {};
  const named: string[] = [];
  for (const line of envExample.split("\n")) {
    const match = /^(# )?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    named.push(match[2]!);
    if (match[1] === undefined) active[match[2]!] = match[3]!;
  }
  assert.deepEqual(named, [...CONFIG_VARIABLES]);
  const withDefault = CONFIG_VARIABLES.filter((name) =>
    (CONFIG_SPEC[name] as ConfigVariableSpec).default !== undefined
  );
  assert.deepEqual(Object.keys(active), withDefault, "variables with a default are set");
  assert.deepEqual(loadConfig(active), loadConfig({}), "copied to .env, it changes nothing");
});

Deno.test("docs/configuration.md names every variable once, each with its real default", () => {
  const list = configurationMd.slice(
    configurationMd.indexOf(LIST_START),
    configurationMd.indexOf(LIST_END),
  );
  const items = [...list.matchAll(/^- `([A-Z0-9_]+)` \((default `([^`]*)`|no default)/gm)];
  assert.deepEqual(items.map((m) => m[1]), [...CONFIG_VARIABLES]);
  for (const [, name, , value] of items) {
    const env = value === undefined ? {} : { [name!]: value };
    assert.deepEqual(loadConfig(env), loadConfig({}), `${name}: the documented default is real`);
    assert.equal((CONFIG_SPEC as Record<string, ConfigVariableSpec>)[name!]!.default, value);
  }
});

Deno.test("every variable has a description, and generated lines fit 100 columns", () => {
  for (const [name, spec] of Object.entries(CONFIG_SPEC as Record<string, ConfigVariableSpec>)) {
    assert.match(spec.description, /^[A-Z`].{10,}\.$/, `${name} needs a sentence`);
  }
  for (const line of [...renderConfigList().split("\n"), ...renderEnvExample().split("\n")]) {
    assert.ok(line.length <= 100, `too long: ${line}`);
    assert.equal(line.split("`").length % 2, 1, `a code span is cut: ${line}`);
  }
});

Deno.test("replaceBetween() refuses a page without its markers", () => {
  assert.throws(() => replaceBetween("# Configuration\n", "x"), {
    message: `docs/configuration.md must hold "${LIST_START}" and then "${LIST_END}"`,
  });
  assert.equal(
    replaceBetween(`a\n${LIST_START}\nold\n${LIST_END}\nb`, "new\n"),
    `a\n${LIST_START}\n\nnew\n\n${LIST_END}\nb`,
  );
});
