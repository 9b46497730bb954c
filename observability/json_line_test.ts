import assert from "node:assert/strict";
import { appendFields, overridesAny } from "./json_line.ts";

Deno.test("appendFields() writes what JSON.stringify writes for the spread object", () => {
  const leading = { time: "2026-11-26T05:09:03.429Z", level: "info", msg: 'a "quoted"\nline' };
  const open = JSON.stringify(leading).slice(0, -1);
  const cases: object[] = [
    {},
    { requestId: "r-1", status: 200, durationMs: 0.12 },
    { skipped: undefined, kept: null, flag: false, text: "\u2028\u0000é" },
    { nested: { a: [1, "2"] }, nan: Number.NaN, inf: Infinity },
  ];
  for (const fields of cases) {
    assert.equal(appendFields(open, fields), JSON.stringify({ ...leading, ...fields }));
  }
});

Deno.test("overridesAny() tells own keys only", () => {
  assert.equal(overridesAny({ time: undefined }, ["time", "msg"]), true);
  assert.equal(overridesAny({ msg: 1 }, ["time", "msg"]), true);
  assert.equal(overridesAny(Object.create({ time: 1 }), ["time"]), false);
  assert.equal(overridesAny({ other: 1 }, ["time", "msg"]), false);
  assert.equal(overridesAny({}, ["time"]), false);
  // Integer keys would come before the leading members in the spread object.
  assert.equal(overridesAny({ b: 1, 2: "x" }, ["time"]), true);
  assert.equal(overridesAny({ "9lives": 1 }, ["time"]), true);
});
