import assert from "node:assert/strict";
import { MAX_RATE_LIMITED, sendPolitely } from "./send_politely.ts";
import { memoryIo } from "../testing/memory_io.ts";

function service(answers: Response[]) {
  const sent: string[] = [];
  const waits: number[] = [];
  const deps = {
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
      sent.push(`${init?.method} ${input} ${init?.signal ? "with" : "without"} a time limit`);
      return Promise.resolve(answers.shift() ?? new Response("no more answers", { status: 599 }));
    }) as typeof fetch,
    sleep: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
  return { deps, sent, waits };
}

const limited = (seconds: string) =>
  new Response(null, { status: 429, headers: { "retry-after": seconds } });

Deno.test("sendPolitely() waits out a 429 as Retry-After says and sends again", async () => {
  const { deps, sent, waits } = service([limited("3"), limited("1"), new Response("ok")]);
  const io = memoryIo();
  const response = await sendPolitely(deps, io, "http://x.test/a", { method: "PUT" });
  assert.deepEqual([response.status, await response.text()], [200, "ok"]);
  assert.deepEqual(waits, [3000, 1000]);
  assert.deepEqual(sent, Array(3).fill("PUT http://x.test/a with a time limit"));
  assert.deepEqual(io.errLines, [
    "Rate limited by the service; waiting 3 s",
    "Rate limited by the service; waiting 1 s",
  ]);
});

Deno.test("sendPolitely() returns the 429 after MAX_RATE_LIMITED tries, or at once when the wait is absent or too long", async () => {
  const many = service(Array.from({ length: 10 }, () => limited("1")));
  assert.equal((await sendPolitely(many.deps, memoryIo(), "http://x.test/", {})).status, 429);
  assert.equal(many.sent.length, MAX_RATE_LIMITED);
  for (const header of ["", "0", "121", "soon"]) {
    const once = service([limited(header), new Response("ok")]);
    assert.equal((await sendPolitely(once.deps, memoryIo(), "http://x.test/", {})).status, 429);
    assert.deepEqual([once.sent.length, once.waits], [1, []], header);
  }
});
