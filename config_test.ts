import assert from "node:assert/strict";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "./config.ts";

const DEFAULTS = {
  port: 8080,
  host: "0.0.0.0",
  dataDir: "./data",
  cronDir: "./cron-output",
  keysDir: "./keys",
  logLevel: "info",
  adminToken: null,
  replayProtection: true,
  throttleMaxFailures: 5,
  rateLimitPerMinute: 120,
  trustProxy: false,
  requireSeedSignature: false,
  seedAtRest: "plain",
  corsOrigins: [],
  allowedHosts: null,
  auditLogFile: null,
  auditSigningKey: "data/audit_signing.pem",
  logFormat: "json",
  metricsToken: null,
  verifyTokens: [],
  stateStore: "kv",
  redisUrl: null,
  cronLease: false,
  exportEnabled: false,
};

Deno.test("loadConfig() applies the documented defaults", () => {
  assert.deepEqual(loadConfig({}), DEFAULTS);
});

Deno.test("loadConfig() reads the security settings", () => {
  const config = loadConfig({
    ADMIN_TOKEN: "0123456789abcdef0123",
    REPLAY_PROTECTION: "false",
    THROTTLE_MAX_FAILURES: "0",
    RATE_LIMIT_PER_MINUTE: "600",
    TRUST_PROXY: "1",
    REQUIRE_SEED_SIGNATURE: "yes",
    SEED_AT_REST: "sealed",
    CORS_ORIGINS: "https://a.example, https://b.example",
    ALLOWED_HOSTS: "Auth.Example.com., pki-2fa",
    AUDIT_LOG_FILE: "/var/log/pki-2fa/audit.jsonl",
    EXPORT_ENABLED: "true",
  });
  assert.deepEqual(config, {
    ...DEFAULTS,
    adminToken: "0123456789abcdef0123",
    replayProtection: false,
    throttleMaxFailures: 0,
    rateLimitPerMinute: 600,
    trustProxy: true,
    requireSeedSignature: true,
    seedAtRest: "sealed",
    corsOrigins: ["https://a.example", "https://b.example"],
    allowedHosts: ["auth.example.com", "pki-2fa"],
    auditLogFile: "/var/log/pki-2fa/audit.jsonl",
    exportEnabled: true,
  });
});

Deno.test("loadConfig() refuses weak tokens and bad switches without echoing the token", () => {
  assert.throws(
    () =>
      loadConfig({ ADMIN_TOKEN: "short-secret", REPLAY_PROTECTION: "maybe", SEED_AT_REST: "zip" }),
    {
      name: "ConfigError",
      message:
        "Invalid configuration: ADMIN_TOKEN must be at least 16 characters (use openssl rand -hex 32); " +
        'REPLAY_PROTECTION must be true or false (got "maybe"); SEED_AT_REST must be plain or sealed (got "zip")',
    },
  );
  assert.throws(() => loadConfig({ THROTTLE_MAX_FAILURES: "-1" }), {
    message: 'Invalid configuration: THROTTLE_MAX_FAILURES must be 0 or more (got "-1")',
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
    ...DEFAULTS,
    port: 9090,
    host: "127.0.0.1",
    dataDir: "/data",
    cronDir: "/cron",
    keysDir: "/app/keys",
    logLevel: "debug",
    auditSigningKey: "/data/audit_signing.pem",
  });
  assert.ok(Object.isFrozen(config));
  assert.equal(loadConfig({ PORT: "", LOG_LEVEL: " " }).port, 8080);
});

Deno.test("loadConfig() reads AUDIT_SIGNING_KEY, else puts the key in DATA_DIR", () => {
  assert.equal(
    loadConfig({ AUDIT_SIGNING_KEY: "/run/secrets/audit.pem" }).auditSigningKey,
    "/run/secrets/audit.pem",
  );
  assert.equal(loadConfig({ DATA_DIR: "/srv/2fa/" }).auditSigningKey, "/srv/2fa/audit_signing.pem");
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
  const hostsMessage = (value: string) =>
    "Invalid configuration: ALLOWED_HOSTS must be host names separated by commas (letters, " +
    "digits and hyphens in dot-separated labels; an internationalised name in its xn-- form), " +
    `without ports or schemes (got "${value}")`;
  for (
    const value of [
      "https://auth.example.com",
      "auth.example.com:443",
      ".",
      "a..b,-",
      "-a.example",
      "bücher.example",
      "auth.example.com,",
      "*.example.com",
      "[::1]",
      `${"a".repeat(64)}.example`,
    ]
  ) {
    assert.throws(() => loadConfig({ ALLOWED_HOSTS: value }), { message: hostsMessage(value) });
  }
  assert.deepEqual(
    loadConfig({ ALLOWED_HOSTS: "xn--bcher-kva.example, 10.0.0.7,a.b-c.example." }).allowedHosts,
    ["xn--bcher-kva.example", "10.0.0.7", "a.b-c.example"],
  );
});

Deno.test("deno task start allows exactly the variables config.ts reads", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("./deno.json", import.meta.url)));
  const match = /--allow-env=(\S+)/.exec(denoJson.tasks.start);
  assert.ok(match, "the start task names its environment variables");
  assert.deepEqual(match[1]!.split(",").sort(), [...CONFIG_VARIABLES].sort());
  assert.doesNotMatch(denoJson.tasks.start, /\s-A\s|--allow-all/);
  // The image's CMD too: a variable missing there makes the container fail at start.
  const dockerfile = await Deno.readTextFile(new URL("./Dockerfile", import.meta.url));
  const image = /^CMD .*"--allow-env=([^"]+)", "main\.ts"\]$/m.exec(dockerfile);
  assert.ok(image, "the Dockerfile's CMD names its environment variables");
  assert.deepEqual(image[1]!.split(",").sort(), [...CONFIG_VARIABLES].sort());
});

Deno.test("loadConfig() reads VERIFY_TOKENS as a list and refuses short ones without echoing them", () => {
  assert.deepEqual(
    loadConfig({ VERIFY_TOKENS: "verify-token-aaaaaaaa, verify-token-bbbbbbbb" }).verifyTokens,
    ["verify-token-aaaaaaaa", "verify-token-bbbbbbbb"],
  );
  assert.throws(() => loadConfig({ VERIFY_TOKENS: "verify-token-aaaaaaaa,short" }), {
    message:
      "Invalid configuration: VERIFY_TOKENS must be tokens of at least 16 characters, comma-separated",
  });
});

Deno.test("loadConfig() needs REDIS_URL with STATE_STORE=redis and does not echo it", () => {
  assert.throws(() => loadConfig({ STATE_STORE: "redis" }), {
    message: "Invalid configuration: REDIS_URL is required when STATE_STORE=redis",
  });
  const config = loadConfig({
    STATE_STORE: "redis",
    REDIS_URL: "redis://10.0.0.5:6379/0",
    CRON_LEASE: "true",
  });
  assert.deepEqual(
    [config.stateStore, config.redisUrl, config.cronLease],
    ["redis", "redis://10.0.0.5:6379/0", true],
  );
  assert.throws(() => loadConfig({ REDIS_URL: "http://secret@x" }), {
    message: "Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL",
  });
});
