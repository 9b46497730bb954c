import assert from "node:assert/strict";
import { isoTime } from "./iso_time.ts";

Deno.test("isoTime() matches toISOString() for a run of times, repeated and changing", () => {
  const times = [
    0,
    0,
    1_764_000_015_000,
    1_764_000_015_000,
    1_764_000_015_001,
    0,
    253402300799999,
    -1,
  ];
  for (const ms of times) assert.equal(isoTime(ms), new Date(ms).toISOString());
});

Deno.test("isoTime() throws like toISOString() for an invalid time", () => {
  assert.throws(() => isoTime(Number.NaN), RangeError);
  assert.equal(isoTime(5), "1970-01-01T00:00:00.005Z");
});
