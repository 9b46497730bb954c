/**
 * Reads a V8 `.cpuprofile` (what `deno run --cpu-prof` writes): self time per function and
 * per package, as shares of the busy samples (idle time left out), so two profiles of the
 * same load can be compared line by line.
 *
 * @module
 */

/** The parts of a V8 CPU profile this reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
  }[];
}

/** Options for {@linkcode summarizeProfile}. */
export interface SummaryOptions {
  /** Functions listed. @default {25} */
  top?: number;
}

/** Where a function lives: a package, Deno's runtime, V8, or a file of this project. */
export function packageOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const npm = /\/npm\/registry\.npmjs\.org\/(@[^/]+\/[^/]+|[^/]+)\//.exec(url);
  if (npm) return `npm:${npm[1]}`;
  if (url.startsWith("ext:") || url.startsWith("node:")) return url.split("/")[0]!;
  const file = /\/(bench|crypto|middleware|observability|routes|store|cron)\/[^/]+$/.exec(url);
  if (file) return file[0].slice(1);
  return url.replace(/^.*\//, "");
}

/** A text table: the top functions by self time, then every package. */
export function summarizeProfile(profile: CpuProfile, options: SummaryOptions = {}): string {
  const top = options.top ?? 25;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (hits === 0 || functionName === "(idle)") continue;
    busy += hits;
    const where = url === "" ? "" : ` ${url.replace(/^.*\//, "")}:${lineNumber + 1}`;
    const name = `${functionName || "(anonymous)"}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  }
  const percent = (hits: number) => `${(100 * hits / busy).toFixed(1).padStart(5)}%`;
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  const lines = [`busy samples: ${busy}`, "", "self time by function:"];
  for (const [name, hits] of sorted(byFunction).slice(0, top)) {
    lines.push(`  ${percent(hits)}  ${name}`);
  }
  lines.push("", "self time by package or file:");
  for (const [name, hits] of sorted(byPackage)) {
    if (hits / busy >= 0.005) lines.push(`  ${percent(hits)}  ${name}`);
  }
  return lines.join("\n");
}
