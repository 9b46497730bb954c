import assert from "node:assert/strict";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { freePort } from "../testing/server_process.ts";
import { serveResilient } from "./serve_resilient.ts";

/** Deno.serve, except that the first server's serve loop can be made to fail on demand. */
function failingServe() {
  let fail: (error: Error) => void = () => {};
  let calls = 0;
  function serve(options: Deno.ServeTcpOptions, handler: Deno.ServeHandler): Deno.HttpServer {
    const server = Deno.serve(options, handler);
    if (calls++ > 0) return server;
    const finished = new Promise<void>((_, reject) => (fail = reject));
    return Object.assign(Object.create(server), { finished, shutdown: () => server.shutdown() });
  }
  return { serve, fail: (error: Error) => fail(error), calls: () => calls };
}

async function status(url: string): Promise<number> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.status;
}

Deno.test("serveResilient() survives a failed serve loop: logs it once and listens again on the same port", async () => {
  const logger = createMemoryLogger();
  const port = freePort();
  const fake = failingServe();
  const server = serveResilient(() => new Response("ok"), {
    hostname: "127.0.0.1",
    port,
    logger,
    serve: fake.serve,
    retryDelaysMs: [20],
  });
  const url = `http://127.0.0.1:${port}/`;
  try {
    assert.equal(await status(url), 200);
    fake.fail(new Deno.errors.Http("Too many open files (os error 24)"));
    const deadline = Date.now() + 5000;
    while (server.restarts === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(server.restarts, 1);
    assert.equal(await status(url), 200);
    const errors = logger.lines.map((l) => JSON.parse(l)).filter((l) => l.level === "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].error, "Http: Too many open files (os error 24)");
    assert.match(errors[0].msg, /ulimit -n/);
    assert.ok(logger.lines.some((l) => l.includes('"msg":"Listening again"')));
  } finally {
    assert.equal(await server.shutdown(1000), true);
  }
});

Deno.test("serveResilient() shutdown stops waiting for a request that never ends after graceMs", async () => {
  const port = freePort();
  let arrived: () => void = () => {};
  const inFlight = new Promise<void>((resolve) => (arrived = resolve));
  const server = serveResilient(async () => {
    arrived();
    await new Promise(() => {}); // a handler that never answers
    return new Response("never");
  }, { hostname: "127.0.0.1", port, logger: createMemoryLogger() });
  const abort = new AbortController();
  const request = fetch(`http://127.0.0.1:${port}/`, { signal: abort.signal }).catch(() => null);
  await inFlight;
  const start = performance.now();
  assert.equal(await server.shutdown(300), false);
  const took = performance.now() - start;
  assert.ok(took >= 290 && took < 2000, `shutdown took ${took} ms`);
  abort.abort();
  await request;
});

Deno.test("serveResilient() lets the first listen's error through: a busy port stops the start", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = listener.addr as Deno.NetAddr;
    assert.throws(
      () =>
        serveResilient(() => new Response(), {
          hostname: "127.0.0.1",
          port,
          logger: createMemoryLogger(),
        }),
      Deno.errors.AddrInUse,
    );
  } finally {
    listener.close();
  }
});
