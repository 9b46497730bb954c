import assert from "node:assert/strict";
import { realisticMarkdown } from "./realistic_report.ts";
import type { RealisticPhase } from "./realistic_answers.ts";

const phase = (
  store: "kv" | "redis",
  name: "first use" | "mix",
  accepted: number,
): RealisticPhase => ({
  store,
  phase: name,
  connections: 32,
  verificationsPerSecond: name === "mix" ? 4000 : accepted,
  acceptedPerSecond: accepted,
  seconds: name === "mix" ? 10 : 2.5,
  p50: 1.25,
  p99: 6.5,
  answers: { valid: 100, rejected: 0, locked: 0, other: 0 },
  shares: name === "mix"
    ? { valid: 25, rejected: 70.5, locked: 4.5, other: 0 }
    : { valid: 100, rejected: 0, locked: 0, other: 0 },
  steps: 1,
});

Deno.test("realisticMarkdown() gives rates, shares and each target as met or not", () => {
  const text = realisticMarkdown({
    subjects: 10000,
    enrolMs: { kv: 2100, redis: 3400 },
    phases: [
      phase("kv", "first use", 4000),
      phase("kv", "mix", 1000),
      phase("redis", "first use", 9000),
      phase("redis", "mix", 1000),
    ],
    relaxedVerifyRps: 16000,
  });
  assert.equal(
    text,
    [
      "Realistic workload: 10000 subjects on /v1, replay protection and throttling on; " +
      "enrolled in kv 2100 ms, redis 3400 ms; relaxed POST /verify-2fa in the same run: 16000 req/s.",
      "",
      "| phase | state store | conns | verifications/s | accepted/s | accepted vs relaxed verify | p50 ms | p99 ms | valid | replay | 429 | seconds | steps |",
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      "| first use | kv | 32 | 4000 | 4000 | 0.25× | 1.25 | 6.5 | 100% | 0% | 0% | 2.5 | 1 |",
      "| mix | kv | 32 | 4000 | 1000 | 0.06× | 1.25 | 6.5 | 25% | 70.5% | 4.5% | 10 | 1 |",
      "| first use | redis | 32 | 9000 | 9000 | 0.56× | 1.25 | 6.5 | 100% | 0% | 0% | 2.5 | 1 |",
      "| mix | redis | 32 | 4000 | 1000 | 0.06× | 1.25 | 6.5 | 25% | 70.5% | 4.5% | 10 | 1 |",
      "",
      "- redis: first-use accepted/s 9000 = 0.56× the relaxed verify rate; target ≥ 0.5×: met.",
      "- kv: first-use accepted/s 4000 = 0.25× the relaxed verify rate; target ≥ 0.3×: not met.",
    ].join("\n"),
  );
});

Deno.test("realisticMarkdown() without a relaxed rate shows no ratio and no verdict", () => {
  const text = realisticMarkdown({
    subjects: 10,
    enrolMs: { kv: 5 },
    phases: [phase("kv", "first use", 4000)],
  });
  assert.ok(text.includes("relaxed POST /verify-2fa in the same run: – req/s."), text);
  assert.ok(
    text.endsWith(
      "| first use | kv | 32 | 4000 | 4000 | – | 1.25 | 6.5 | 100% | 0% | 0% | 2.5 | 1 |",
    ),
  );
});
