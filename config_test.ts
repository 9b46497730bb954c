import assert from "node:assert/strict";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "./config.ts";

Deno.test("loadConfig() applies the documented defaults", () => {
  assert.deepEqual(loadConfig({}), {
    port: 8080,
    host: "0.0.0.0",
    dataDir: "./data",
    cronDir: "./cron-output",
    keysDir: "./keys",
    logLevel: "info",
  });
});

Deno.test("loadConfig() reads every variable and treats empty strings as unset", () => {
  const config = loadConfig({
    PORT: "9090",
    HOST: "127.0.0.1",
    DATA_DIR: "/data",
    CRON_DIR: "/cron",
    KEYS_DIR: "/app/keys",
    LOG_LEVEL: "debug",
  });
  assert.deepEqual(config, {
    port: 9090,
    host: "127.0.0.1",
    dataDir: "/data",
    cronDir: "/cron",
    keysDir: "/app/keys",
    logLevel: "debug",
  });
  assert.ok(Object.isFrozen(config));
  assert.equal(loadConfig({ PORT: "", LOG_LEVEL: " " }).port, 8080);
});

Deno.test("loadConfig() names every bad variable in one error", () => {
  assert.throws(() => loadConfig({ PORT: "eighty", LOG_LEVEL: "loud" }), {
    name: "ConfigError",
    message: 'Invalid configuration: PORT must be a whole number (got "eighty"); ' +
      'LOG_LEVEL must be one of debug, info, warn, error (got "loud")',
  });
  assert.throws(() => loadConfig({ PORT: "70000" }), {
    message: 'Invalid configuration: PORT must be between 1 and 65535 (got "70000")',
  });
  assert.throws(() => loadConfig({ PORT: "80.5" }), ConfigError);
});

Deno.test("deno task start allows exactly the variables config.ts reads", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("./deno.json", import.meta.url)));
  const match = /--allow-env=(\S+)/.exec(denoJson.tasks.start);
  assert.ok(match, "the start task names its environment variables");
  assert.deepEqual(match[1]!.split(",").sort(), [...CONFIG_VARIABLES].sort());
  assert.doesNotMatch(denoJson.tasks.start, /\s-A\s|--allow-all/);
});
