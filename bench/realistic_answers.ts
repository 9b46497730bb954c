/**
 * What bench/lua/realistic.lua counted, read from wrk's output, and the figures derived
 * from it: accepted verifications per second and the share of each answer.
 *
 * @module
 */
import type { WrkResult } from "./wrk.ts";

/** Answers counted by body: `{"valid":true}`, `{"valid":false}`, 429, anything else. */
export interface Answers {
  valid: number;
  rejected: number;
  locked: number;
  other: number;
}

/** The script's JSON line. */
export interface ScriptCounts {
  answers: Answers;
  /** `GET /health` fillers answered (first-use phase, after a thread's share was sent). */
  health: number;
  /** Requests whose step had no precomputed code (must be 0). */
  outOfRange: number;
  /** Verifications sent with a code not sent before (first-use phase). */
  freshSent: number;
  /** Wall clock of the first request and of the last accepted answer, in microseconds. */
  firstUs: number;
  lastUs: number;
  /** The lowest and highest time step the codes sent were for. */
  minStep: number;
  maxStep: number;
  /** The first unexpected answer, `status body`, or "". */
  otherSample: string;
  /** wrk's measured duration (its `-d`), in microseconds, from report.lua's line. */
  durationUs: number;
}

/** Reads the `{"answers":...}` line of bench/lua/realistic.lua's `done()`. */
export function parseScriptCounts(stdout: string): ScriptCounts {
  const line = stdout.split("\n").find((l) => l.startsWith('{"answers"'));
  const report = stdout.split("\n").find((l) => l.startsWith('{"requests"'));
  if (line === undefined || report === undefined) {
    throw new Error("No answers line in wrk's output");
  }
  const raw = JSON.parse(line);
  return {
    answers: raw.answers,
    health: raw.health,
    outOfRange: raw.out_of_range,
    freshSent: raw.fresh_sent,
    firstUs: raw.first_us,
    lastUs: raw.last_us,
    minStep: raw.min_step,
    maxStep: raw.max_step,
    otherSample: raw.other_sample,
    durationUs: JSON.parse(report).duration_us,
  };
}

/** Each answer's share of all verification answers, rounded to 0.1 %. */
export function answerShares(answers: Answers): Answers {
  const total = answers.valid + answers.rejected + answers.locked + answers.other;
  const share = (n: number) => total === 0 ? 0 : Math.round((n / total) * 1000) / 10;
  return {
    valid: share(answers.valid),
    rejected: share(answers.rejected),
    locked: share(answers.locked),
    other: share(answers.other),
  };
}

/** One measured phase of the realistic workload. */
export interface RealisticPhase {
  store: "kv" | "redis";
  phase: "first use" | "mix";
  connections: number;
  /** Verification answers per second (every answer counted above). */
  verificationsPerSecond: number;
  /** `{"valid":true}` answers per second. */
  acceptedPerSecond: number;
  /** Seconds the figures are over. */
  seconds: number;
  p50: number;
  p99: number;
  answers: Answers;
  /** Percent of the verification answers. */
  shares: Answers;
  /** Distinct time steps the codes sent were for. */
  steps: number;
}

/**
 * The phase's figures. `mix` runs for wrk's whole duration. `first use` ends when every
 * thread had its share answered: its time is from the first request to the last accepted
 * answer, which wrk's duration (the `-d` it still waits out) would understate the rate by.
 */
export function phaseFigures(
  meta: { store: "kv" | "redis"; phase: "first use" | "mix"; connections: number },
  wrk: Pick<WrkResult, "p50" | "p99">,
  counts: ScriptCounts,
): RealisticPhase {
  if (counts.outOfRange > 0) {
    throw new Error(`${counts.outOfRange} requests fell outside the precomputed steps`);
  }
  if (counts.answers.other > 0) {
    throw new Error(
      `${meta.store} ${meta.phase}: ${counts.answers.other} unexpected answers, the first: ${counts.otherSample}`,
    );
  }
  const { valid, rejected, locked } = counts.answers;
  const verifications = valid + rejected + locked;
  const seconds = meta.phase === "first use"
    ? (counts.lastUs - counts.firstUs) / 1e6
    : counts.durationUs / 1e6;
  if (!(seconds > 0)) throw new Error(`${meta.store} ${meta.phase}: no time measured`);
  return {
    ...meta,
    verificationsPerSecond: Math.round(verifications / seconds),
    acceptedPerSecond: Math.round(valid / seconds),
    seconds: Math.round(seconds * 100) / 100,
    p50: wrk.p50,
    p99: wrk.p99,
    answers: counts.answers,
    shares: answerShares(counts.answers),
    steps: counts.maxStep - counts.minStep + 1,
  };
}
