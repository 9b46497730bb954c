import assert from "node:assert/strict";
import { SWEEP_INTERVAL_MS, watchDeadline } from "./deadline_watch.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("watchDeadline() calls onLate once, no earlier than the deadline and within one sweep", async () => {
  const start = performance.now();
  const late: number[] = [];
  watchDeadline(100, () => late.push(performance.now() - start));
  await sleep(100 + 2 * SWEEP_INTERVAL_MS + 50);
  assert.equal(late.length, 1);
  assert.ok(
    late[0]! >= 100 && late[0]! <= 100 + SWEEP_INTERVAL_MS + 100,
    `late after ${late[0]} ms`,
  );
});

Deno.test("watchDeadline() never calls onLate once cancelled, and cancel twice is harmless", async () => {
  let called = 0;
  const watch = watchDeadline(10, () => called++);
  watch.cancel();
  watch.cancel();
  const other = watchDeadline(10, () => called += 10);
  await sleep(SWEEP_INTERVAL_MS * 2 + 50);
  other.cancel();
  assert.equal(called, 10);
});

Deno.test("watchDeadline() handles many deadlines at once, each told separately", async () => {
  const told = new Set<number>();
  const watches = Array.from(
    { length: 1000 },
    (_, i) => watchDeadline(i % 2 === 0 ? 50 : 60_000, () => told.add(i)),
  );
  await sleep(50 + SWEEP_INTERVAL_MS + 100);
  for (const watch of watches) watch.cancel();
  assert.equal(told.size, 500);
  assert.ok([...told].every((i) => i % 2 === 0));
});
