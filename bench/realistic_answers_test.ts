import assert from "node:assert/strict";
import { answerShares, parseScriptCounts, phaseFigures } from "./realistic_answers.ts";

const REPORT =
  '{"requests":12000,"duration_us":10000000,"non2xx":1000,"socket_errors":0,"p50":1500,"p90":2500,"p99":4000,"max":9000}';
const answersLine = (answers: string, extra = "") =>
  `{"answers":${answers},"health":7,"out_of_range":0,"fresh_sent":10000,"first_us":1795714772000000,` +
  `"last_us":1795714774500000,"min_step":59857159,"max_step":59857159,"other_sample":""${extra}}`;

Deno.test("parseScriptCounts() reads the script's counts and wrk's duration", () => {
  const stdout = `Running 10s test @ http://127.0.0.1:1\n${REPORT}\n${
    answersLine('{"valid":9000,"rejected":2000,"locked":1000,"other":0}')
  }\n`;
  assert.deepEqual(parseScriptCounts(stdout), {
    answers: { valid: 9000, rejected: 2000, locked: 1000, other: 0 },
    health: 7,
    outOfRange: 0,
    freshSent: 10000,
    firstUs: 1795714772000000,
    lastUs: 1795714774500000,
    minStep: 59857159,
    maxStep: 59857159,
    otherSample: "",
    durationUs: 10000000,
  });
  assert.throws(() => parseScriptCounts(REPORT), /^Error: No answers line in wrk's output$/);
});

Deno.test("answerShares() gives percentages of the verification answers, to 0.1 %", () => {
  assert.deepEqual(answerShares({ valid: 2, rejected: 1, locked: 0, other: 0 }), {
    valid: 66.7,
    rejected: 33.3,
    locked: 0,
    other: 0,
  });
  assert.deepEqual(answerShares({ valid: 0, rejected: 0, locked: 0, other: 0 }), {
    valid: 0,
    rejected: 0,
    locked: 0,
    other: 0,
  });
});

Deno.test("phaseFigures(): the mix over wrk's duration, first use over its own time", () => {
  const counts = parseScriptCounts(
    `${REPORT}\n${answersLine('{"valid":9000,"rejected":2000,"locked":1000,"other":0}')}`,
  );
  const latency = { p50: 1.5, p99: 4 };
  assert.deepEqual(
    phaseFigures({ store: "redis", phase: "mix", connections: 32 }, latency, counts),
    {
      store: "redis",
      phase: "mix",
      connections: 32,
      verificationsPerSecond: 1200,
      acceptedPerSecond: 900,
      seconds: 10,
      p50: 1.5,
      p99: 4,
      answers: { valid: 9000, rejected: 2000, locked: 1000, other: 0 },
      shares: { valid: 75, rejected: 16.7, locked: 8.3, other: 0 },
      steps: 1,
    },
  );
  // 9,000 accepted between the first request and the last acceptance, 2.5 s apart.
  const first = phaseFigures({ store: "kv", phase: "first use", connections: 32 }, latency, counts);
  assert.equal(first.acceptedPerSecond, 3600);
  assert.equal(first.verificationsPerSecond, 4800);
  assert.equal(first.seconds, 2.5);
});

Deno.test("phaseFigures() refuses a run with unexpected answers or codes it lacked", () => {
  const latency = { p50: 1, p99: 2 };
  const other = parseScriptCounts(
    `${REPORT}\n${
      answersLine('{"valid":1,"rejected":0,"locked":0,"other":3}').replace(
        '"other_sample":""',
        '"other_sample":"503 ?error?:?State store unavailable?"',
      )
    }`,
  );
  assert.throws(
    () => phaseFigures({ store: "redis", phase: "mix", connections: 32 }, latency, other),
    /^Error: redis mix: 3 unexpected answers, the first: 503 \?error\?:\?State store unavailable\?$/,
  );
  const outside = parseScriptCounts(
    `${REPORT}\n${
      answersLine('{"valid":1,"rejected":0,"locked":0,"other":0}').replace(
        '"out_of_range":0',
        '"out_of_range":2',
      )
    }`,
  );
  assert.throws(
    () => phaseFigures({ store: "kv", phase: "mix", connections: 32 }, latency, outside),
    /^Error: 2 requests fell outside the precomputed steps$/,
  );
});
