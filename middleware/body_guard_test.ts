/**
 * Bodies sent without a length (chunked) on the open route: before the fix Hono's
 * bodyLimit read them to their end ahead of the route, with no deadline, so one chunk and
 * then silence held the request (and its connection) for ever.
 */
import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { MAX_BODY_BYTES } from "../app.ts";

/** A chunked body: `chunks` arrive at once, then the stream stays open unless `end`. */
function chunked(chunks: string[], end: boolean): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      if (end) controller.close();
    },
  });
}

function post(
  t: { app: { request: (p: string, i: RequestInit) => Response | Promise<Response> } },
  body: ReadableStream<Uint8Array> | string,
) {
  const init = { method: "POST", body, duplex: "half" } as RequestInit;
  return Promise.resolve(t.app.request("/verify-2fa", init));
}

Deno.test("a chunked body that stops half-way gets 408 after 10 s, not an answer never", async () => {
  await using t = await createAppFixture();
  const started = performance.now();
  const response = await post(t, chunked(['{"code": "12'], false));
  const ms = performance.now() - started;
  assert.deepEqual(await statusAndBody(response), {
    status: 408,
    body: { error: "Request body not received within 10 seconds" },
  });
  assert.equal(response.headers.get("connection"), "close");
  assert.ok(ms >= 9_900 && ms < 15_000, `answered after ${ms} ms`);
});

Deno.test("a chunked body over 64 KiB gets 413 as it is read; a complete one is read as JSON", async () => {
  await using t = await createAppFixture();
  const half = "x".repeat(40 * 1024);
  // Two chunks of 40 KiB: the second crosses the limit, and the stream never ends.
  const big = await post(t, chunked([`{"code": "${half}`, half], false));
  assert.deepEqual(await statusAndBody(big), {
    status: 413,
    body: { error: "Request body too large" },
  });
  assert.equal(big.headers.get("connection"), "close");
  // Exactly the limit is fine (here: JSON with padding to 64 KiB, then an answer).
  const padded = `{"code": "123456"}`.padEnd(MAX_BODY_BYTES, " ");
  const ok = await post(t, chunked([padded.slice(0, 1000), padded.slice(1000)], true));
  assert.deepEqual(await statusAndBody(ok), {
    status: 500,
    body: { error: "Seed not decrypted yet" },
  });
  // A declared length over the limit is refused before reading.
  const declared = await t.app.request("/verify-2fa", {
    method: "POST",
    body: "y".repeat(MAX_BODY_BYTES + 1),
  });
  assert.deepEqual(await statusAndBody(declared), {
    status: 413,
    body: { error: "Request body too large" },
  });
});

Deno.test("a body read that fails with the connection (as Deno does once a shutdown begins) is 503, not a 500", async () => {
  await using t = await createAppFixture();
  const broken = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"code":'));
    },
    pull(controller) {
      controller.error(new Deno.errors.BadResource("Bad resource ID"));
    },
  });
  const response = await post(t, broken);
  assert.deepEqual(await statusAndBody(response), {
    status: 503,
    body: {
      error: "Request body could not be read (the connection failed or the service is " +
        "stopping); nothing was done, retry",
    },
  });
  assert.equal(response.headers.get("connection"), "close");
  assert.equal(response.headers.get("retry-after"), "1");
  assert.deepEqual(t.logger.lines.filter((line) => line.includes('"level":"error"')), []);
  assert.deepEqual(t.audit.events, []);
});
