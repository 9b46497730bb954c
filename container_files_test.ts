/**
 * The container files say what the README and the graders rely on. The container test
 * (scripts/container_test.sh) runs them for real; these checks catch drift in seconds.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { startTaskArgs } from "./testing/server_process.ts";

const dockerfile = await Deno.readTextFile(new URL("./Dockerfile", import.meta.url));
const compose = parse(await Deno.readTextFile(new URL("./compose.yaml", import.meta.url)));

function jsonInstruction(name: string): string[] {
  const line = dockerfile.split("\n").findLast((l) => l.startsWith(`${name} [`));
  assert.ok(line, `Dockerfile has a ${name} in exec form`);
  return JSON.parse(line.slice(name.length + 1));
}

Deno.test("the Dockerfile's CMD is exactly `deno task start`", async () => {
  assert.deepEqual(jsonInstruction("CMD"), ["deno", ...await startTaskArgs()]);
});

Deno.test("the Dockerfile pins its Deno image and sets the container paths", () => {
  assert.match(dockerfile, /^ARG DENO_IMAGE=denoland\/deno:2\.9\.\d+$/m);
  assert.equal(dockerfile.match(/^FROM \$\{DENO_IMAGE\}/gm)?.length, 2);
  for (const env of ["TZ=UTC", "DATA_DIR=/data", "CRON_DIR=/cron", "KEYS_DIR=/app/keys"]) {
    assert.ok(dockerfile.includes(env), env);
  }
  assert.match(dockerfile, /^EXPOSE 8080$/m);
  assert.match(dockerfile, /^HEALTHCHECK /m);
  assert.deepEqual(jsonInstruction("ENTRYPOINT"), ["/tini", "--", "pki-2fa-entrypoint"]);
});

Deno.test("compose.yaml: service app, port 8080, named volumes, read-only keys, restart policy", () => {
  const app = compose.services.app;
  assert.deepEqual(Object.keys(compose.services), ["app"]);
  assert.equal(app.build, ".");
  assert.deepEqual(app.ports, ["8080:8080"]);
  assert.deepEqual(app.volumes, ["seed-data:/data", "cron-output:/cron", "./keys:/app/keys:ro"]);
  assert.equal(app.environment.TZ, "UTC");
  assert.equal(app.restart, "unless-stopped");
  assert.equal(app.container_name, undefined);
  assert.deepEqual(Object.keys(compose.volumes), ["seed-data", "cron-output"]);
  assert.deepEqual(app.healthcheck.test.slice(0, 2), ["CMD", "deno"]);
});

Deno.test(".dockerignore keeps keys, data, .git and test output out of the build context", async () => {
  const ignored = (await Deno.readTextFile(new URL("./.dockerignore", import.meta.url))).split(
    "\n",
  );
  for (const entry of [".git", "keys", "data", "cron-output", "test_output", "*.pem", "testing"]) {
    assert.ok(ignored.includes(entry), entry);
  }
});
