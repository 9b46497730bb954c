/**
 * Figures a test measured (latencies, recovery times), written to stderr so a run shows them
 * next to the test's name, for the record; the assertions are what make the test pass or fail.
 *
 * @module
 */
const encoder = new TextEncoder();

/** Writes one line of figures. */
export function report(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}
