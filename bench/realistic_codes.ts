/**
 * The codes the realistic workload sends: for each enrolled subject, its TOTP code for
 * every 30-second step the run can span, computed here from the seeds the bench enrolled
 * and handed to the wrk script as a file. The script picks the column by wall-clock step,
 * so a run that crosses a step boundary sends the new codes from that moment on.
 *
 * @module
 */
import { hotp, importHmacKey } from "../crypto/hotp.ts";

/** A subject the bench enrolled, with its SHA-1, 6-digit, 30-second seed. */
export interface BenchSubject {
  id: string;
  secret: Uint8Array<ArrayBuffer>;
}

/** Options for {@linkcode precomputeCodes}. */
export interface PrecomputeOptions {
  /** The first time step (Unix seconds / 30, floored). */
  fromStep: number;
  /** How many consecutive steps. */
  steps: number;
}

/** The codes of every subject for `steps` steps from `fromStep`, in subject order. */
export async function precomputeCodes(
  subjects: readonly BenchSubject[],
  options: PrecomputeOptions,
): Promise<string[][]> {
  if (!Number.isInteger(options.steps) || options.steps < 1) {
    throw new RangeError(`steps must be a whole number of at least 1, not ${options.steps}`);
  }
  return await Promise.all(subjects.map(async ({ secret }) => {
    const key = await importHmacKey(secret);
    const codes: string[] = [];
    for (let i = 0; i < options.steps; i++) codes.push(await hotp(key, options.fromStep + i));
    return codes;
  }));
}

/**
 * The file bench/lua/realistic.lua reads: a first line `fromStep steps subjects`, then one
 * line per subject, `id code code ...`, one code per step.
 */
export function codesFileText(
  ids: readonly string[],
  codes: readonly string[][],
  options: PrecomputeOptions,
): string {
  if (ids.length !== codes.length) {
    throw new RangeError(`${ids.length} subjects but ${codes.length} rows of codes`);
  }
  const lines = [`${options.fromStep} ${options.steps} ${ids.length}`];
  ids.forEach((id, i) => {
    const row = codes[i]!;
    if (row.length !== options.steps) {
      throw new RangeError(`${id} has ${row.length} codes, not ${options.steps}`);
    }
    lines.push(`${id} ${row.join(" ")}`);
  });
  return lines.join("\n") + "\n";
}

/** Options for {@linkcode stepsToCover}. */
export interface CoverOptions {
  /** The clock, in milliseconds. */
  now: number;
  /** The longest the run can last from `now`, in seconds. */
  seconds: number;
  /** Step length in seconds. @default {30} */
  period?: number;
}

/**
 * The steps a run starting at `now` and lasting at most `seconds` can be in, plus the one
 * before (the first-use phase sends the previous step's code, still in the window).
 */
export function stepsToCover(options: CoverOptions): PrecomputeOptions {
  const period = options.period ?? 30;
  const first = Math.floor(options.now / 1000 / period) - 1;
  const last = Math.floor((options.now / 1000 + options.seconds) / period);
  return { fromStep: first, steps: last - first + 1 };
}
