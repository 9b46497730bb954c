/**
 * The container files say what the docs and the graders rely on. The container test
 * (docker/container_test.sh) runs them for real with podman; these checks catch drift in
 * seconds, on a machine with only Deno.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { startTaskArgs } from "../testing/server_process.ts";

const read = (path: string) => Deno.readTextFile(new URL(`../${path}`, import.meta.url));
const dockerfile = await read("Dockerfile");
// Merge keys (<<: *service) as docker compose applies them.
const compose = parse(await read("compose.yaml"), { merge: true });
const nginx = await read("docker/ha-nginx.conf.template");

function jsonInstruction(name: string): string[] {
  const line = dockerfile.split("\n").findLast((l) => l.startsWith(`${name} [`));
  assert.ok(line, `Dockerfile has a ${name} in exec form`);
  return JSON.parse(line.slice(name.length + 1));
}

/** The HEALTHCHECK's command (the line after `HEALTHCHECK ... \`). */
function healthcheckCommand(): string[] {
  const match = dockerfile.match(/^HEALTHCHECK [^\n]*\\\n\s*CMD (\[[^\n]*\])$/m);
  assert.ok(match, "Dockerfile has a HEALTHCHECK with a CMD in exec form");
  return JSON.parse(match[1]!);
}

const HEALTHCHECK = [
  "setpriv",
  "--reuid=deno",
  "--regid=deno",
  "--init-groups",
  "--",
  "deno",
  "run",
  "--cached-only",
  "--no-code-cache",
  "--allow-net=127.0.0.1",
  "--allow-env=PORT",
  "cli/healthcheck.ts",
];

Deno.test("the Dockerfile's CMD is `deno task start` with --cached-only, so it never downloads", async () => {
  const [run, ...rest] = await startTaskArgs();
  assert.equal(run, "run");
  assert.deepEqual(jsonInstruction("CMD"), ["deno", "run", "--cached-only", ...rest]);
});

Deno.test("the Dockerfile caches exactly the service's packages and pins its Deno image", () => {
  assert.match(dockerfile, /^ARG DENO_IMAGE=denoland\/deno:2\.9\.\d+$/m);
  assert.equal(dockerfile.match(/^FROM \$\{DENO_IMAGE\}/gm)?.length, 2);
  // deno.json and deno.lock hold only the runtime's packages (e2e/runtime_dependencies_test.ts).
  assert.match(dockerfile, /^COPY deno\.json deno\.lock \.\/\nRUN deno install --frozen$/m);
  assert.match(dockerfile, /^RUN deno cache --frozen main\.ts cli\/healthcheck\.ts$/m);
  assert.doesNotMatch(dockerfile, /deno clean/);
  for (const env of ["TZ=UTC", "DATA_DIR=/data", "CRON_DIR=/cron", "KEYS_DIR=/app/keys"]) {
    assert.ok(dockerfile.includes(env), env);
  }
  assert.match(dockerfile, /DENO_NO_UPDATE_CHECK=1/);
  assert.match(dockerfile, /^EXPOSE 8080$/m);
  assert.deepEqual(healthcheckCommand(), HEALTHCHECK);
  assert.deepEqual(jsonInstruction("ENTRYPOINT"), ["/tini", "--", "pki-2fa-entrypoint"]);
});

Deno.test("compose.yaml: service app, port 8080, named volumes, read-only keys", () => {
  const app = compose.services.app;
  const always = Object.entries(compose.services).filter(([, service]) =>
    !(service as { profiles?: string[] }).profiles
  );
  assert.deepEqual(always.map(([name]) => name), ["app"]);
  assert.equal(app.build, ".");
  assert.deepEqual(app.ports, ["8080:8080"]);
  assert.deepEqual(app.volumes, ["seed-data:/data", "cron-output:/cron", "./keys:/app/keys:ro"]);
  assert.equal(app.environment.TZ, "UTC");
  assert.equal(app.container_name, undefined);
  assert.deepEqual(Object.keys(compose.volumes).slice(0, 2), ["seed-data", "cron-output"]);
});

for (const name of ["app", "replica-1", "replica-2"]) {
  Deno.test(`compose.yaml: ${name} is hardened and stops instead of restarting forever`, () => {
    const service = compose.services[name];
    assert.equal(service.read_only, true);
    assert.deepEqual(service.tmpfs, ["/run/pki-2fa:mode=0700"]);
    assert.deepEqual(service.cap_drop, ["ALL"]);
    assert.deepEqual(service.cap_add, ["CHOWN", "DAC_READ_SEARCH", "SETGID", "SETUID"]);
    assert.deepEqual(service.security_opt, ["no-new-privileges:true"]);
    assert.deepEqual(service.ulimits, { nofile: { soft: 16384, hard: 16384 } });
    // No key exits 78: three more tries, then stopped (unless-stopped looped forever).
    assert.equal(service.restart, "on-failure:3");
    assert.deepEqual(service.healthcheck.test, ["CMD", ...HEALTHCHECK]);
  });
}

Deno.test(".dockerignore keeps keys, data, .git, tests and dev files out of the build context", async () => {
  const ignored = (await read(".dockerignore")).split("\n");
  for (
    const entry of [
      ".git",
      "keys",
      "data",
      "cron-output",
      "test_output",
      "*.pem",
      "testing",
      "e2e",
      "bench",
      "**/*_test.ts",
      "deno.dev.json",
    ]
  ) {
    assert.ok(ignored.includes(entry), entry);
  }
});

Deno.test("compose.yaml's ha profile: Redis, two replicas sharing it with CRON_LEASE, nginx on one port", () => {
  const ha = Object.entries(compose.services)
    .filter(([, service]) => (service as { profiles?: string[] }).profiles?.includes("ha"))
    .map(([name]) => name);
  assert.deepEqual(ha, ["redis", "replica-1", "replica-2", "lb"]);
  for (const name of ["replica-1", "replica-2"]) {
    const replica = compose.services[name];
    assert.equal(replica.build, ".");
    assert.equal(replica.environment.STATE_STORE, "redis");
    assert.equal(replica.environment.REDIS_URL, "redis://:${REDIS_PASSWORD:-}@redis:6379/0");
    assert.equal(replica.environment.CRON_LEASE, "true");
    assert.ok(replica.volumes.includes("cron-output-ha:/cron"), "one shared log volume");
    assert.ok(replica.volumes.includes("./keys:/app/keys:ro"));
  }
  assert.deepEqual(compose.services.lb.ports, ["8090:8080"]);
});

Deno.test("compose.yaml's Redis: a password from stdin (never argv), AOF written every second", () => {
  const redis = compose.services.redis;
  assert.equal(redis.image, "redis:7.4-alpine");
  assert.equal(redis.user, "redis");
  assert.equal(redis.environment.REDIS_PASSWORD, "${REDIS_PASSWORD:-}");
  const [shell, flags, script] = redis.command as string[];
  assert.deepEqual([shell, flags], ["sh", "-ec"]);
  // Compose turns $$ into $: the shell sees $REDIS_PASSWORD.
  assert.match(script!, /^exec redis-server - --appendonly yes --appendfsync everysec <<EOF$/m);
  assert.match(script!, /^requirepass \$\$REDIS_PASSWORD$/m);
  assert.match(script!, /^EOF$/m);
  assert.doesNotMatch(script!, /--requirepass/);
  assert.match(script!, /if \[ -z "\$\$REDIS_PASSWORD" \]; then[\s\S]*exit 78/);
  assert.deepEqual(redis.volumes, ["redis-data:/data"]);
});

Deno.test("the ha nginx: slow-client timeouts, size and per-client limits, replicas looked up again", async () => {
  const lb = compose.services.lb;
  assert.equal(lb.image, "nginx:1.27-alpine");
  assert.deepEqual(lb.volumes, [
    "./docker/ha-nginx-resolver.envsh:/docker-entrypoint.d/15-pki2fa-resolver.envsh:ro",
    "./docker/ha-nginx.conf.template:/etc/nginx/templates/default.conf.template:ro",
  ]);
  // The image's entrypoint sources only executable .envsh files.
  const envsh = await Deno.stat(new URL("../docker/ha-nginx-resolver.envsh", import.meta.url));
  assert.equal(envsh.mode! & 0o111, 0o111);
  const directives = [
    "client_header_timeout 10s;",
    "client_body_timeout 10s;",
    "send_timeout 10s;",
    "client_max_body_size 64k;",
    "limit_conn_zone $binary_remote_addr zone=pki2fa_clients:10m;",
    "limit_conn pki2fa_clients 32;",
    "limit_conn_status 429;",
    "resolver ${PKI2FA_RESOLVER} valid=2s ipv6=off;",
    "split_clients $request_id $pki2fa_first {",
    "proxy_pass http://$pki2fa_first:8080;",
    "error_page 502 504 = @other_replica;",
    "proxy_pass http://$pki2fa_second:8080;",
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "proxy_connect_timeout 2s;",
  ];
  const lines = nginx.split("\n").map((line) => line.trim());
  for (const directive of directives) assert.ok(lines.includes(directive), directive);
  // A fixed upstream block would keep the replicas' first addresses until nginx reloads.
  assert.doesNotMatch(nginx, /upstream \w+ \{/);
});
