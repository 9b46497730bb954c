import assert from "node:assert/strict";
import { codesFileText, precomputeCodes, stepsToCover } from "./realistic_codes.ts";

// RFC 6238 Appendix B, SHA-1 seed "12345678901234567890": T = 59 s is step 1 (94287082),
// T = 1111111109 s is step 37037036 (07081804); the low six digits are the 6-digit codes.
const rfcSeed = new TextEncoder().encode("12345678901234567890");

Deno.test("precomputeCodes() gives each subject's code per step, as RFC 6238 does", async () => {
  const codes = await precomputeCodes([{ id: "a", secret: rfcSeed }], {
    fromStep: 37037036,
    steps: 2,
  });
  // Step 37037037 is T = 1111111111 s in RFC 6238's table: 14050471.
  assert.deepEqual(codes, [["081804", "050471"]]);
  assert.deepEqual(
    await precomputeCodes([{ id: "a", secret: rfcSeed }, { id: "b", secret: rfcSeed }], {
      fromStep: 1,
      steps: 1,
    }),
    [["287082"], ["287082"]],
  );
  await assert.rejects(
    () => precomputeCodes([], { fromStep: 1, steps: 0 }),
    /^RangeError: steps must be a whole number of at least 1, not 0$/,
  );
});

Deno.test("codesFileText() writes the header and one line per subject", () => {
  assert.equal(
    codesFileText(["u-0", "u-1"], [["123456", "654321"], ["000001", "999999"]], {
      fromStep: 100,
      steps: 2,
    }),
    "100 2 2\nu-0 123456 654321\nu-1 000001 999999\n",
  );
  assert.throws(
    () => codesFileText(["u-0"], [["123456"]], { fromStep: 1, steps: 2 }),
    /^RangeError: u-0 has 1 codes, not 2$/,
  );
  assert.throws(
    () => codesFileText(["u-0", "u-1"], [["1"]], { fromStep: 1, steps: 1 }),
    /^RangeError: 2 subjects but 1 rows of codes$/,
  );
});

Deno.test("stepsToCover() spans the previous step to the last step the run can reach", () => {
  // 29.9 s into step 100 (3000 s), for 15 s: steps 99 (previous), 100 and 101.
  assert.deepEqual(stepsToCover({ now: 3_029_900, seconds: 15 }), { fromStep: 99, steps: 3 });
  // At the very start of step 100, 29 s stays inside it: 99 and 100.
  assert.deepEqual(stepsToCover({ now: 3_000_000, seconds: 29 }), { fromStep: 99, steps: 2 });
  assert.deepEqual(stepsToCover({ now: 3_000_000, seconds: 30 }), { fromStep: 99, steps: 3 });
});
