import assert from "node:assert/strict";
import { checkHealth } from "./healthcheck.ts";
import { freePort } from "../testing/server_process.ts";

Deno.test("checkHealth() is true only for a 200 from /health", async () => {
  let status = 200;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    return new Response("{}", {
      status: new URL(request.url).pathname === "/health" ? status : 404,
    });
  });
  try {
    assert.equal(await checkHealth(server.addr.port), true);
    status = 503;
    assert.equal(await checkHealth(server.addr.port), false);
    assert.equal(await checkHealth(freePort()), false);
  } finally {
    await server.shutdown();
  }
});
