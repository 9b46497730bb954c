/**
 * The benchmark's report: a Markdown table written between markers in bench/README.md,
 * and an SVG bar chart of throughput and p99 per case (drawn here, no external service).
 * Every figure is shown absolute and as a ratio to baselines from the same run.
 *
 * @module
 */
import { ROOT } from "./paths.ts";
import type { RealisticResults } from "./realistic.ts";
import { realisticMarkdown } from "./realistic_report.ts";

/** One row of results/latest.json's `http`. */
export interface HttpRow {
  server: string;
  case: string;
  connections: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  expectNon2xx: boolean;
}

/** The parts of results/latest.json the report reads. */
export interface Results {
  date: string;
  machine: Record<string, string | number>;
  http: HttpRow[];
  startMs: { median: number | undefined; runs: number[] };
  memory: Record<string, number>;
  crypto: Record<string, number>;
  openssl: { privateOpsPerSecond: number; msPerOp: number };
  v1Stores?: {
    store: string;
    case: string;
    connections: number;
    rps: number;
    p50: number;
    p99: number;
  }[];
  realistic?: RealisticResults & { relaxedVerifyRps?: number | undefined };
}

const SERVERS = [
  "pki-2fa (relaxed)",
  "pki-2fa (protected)",
  "deno+hono ceiling",
  "fastapi reference",
];
const COLORS = ["#2f6fdf", "#8aa9e6", "#2a9d5b", "#d9822b"];

function find(
  results: Results,
  server: string,
  name: string,
  connections: number,
): HttpRow | undefined {
  return results.http.find((r) =>
    r.server === server && r.case === name && r.connections === connections
  );
}

const ratio = (
  a: number,
  b: number | undefined,
) => (b ? `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×` : "–");
const mb = (bytes: number | undefined) =>
  bytes === undefined ? "–" : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The Markdown tables. */
export function markdown(results: Results): string {
  const cases = [...new Set(results.http.map((r) => r.case))];
  const conns = [...new Set(results.http.map((r) => r.connections))];
  const lines = [
    `Run ${results.date} on ${results.machine.cpu} (${results.machine.cores} cores), Deno ${results.machine.deno}, ` +
    `Hono ${results.machine.hono}; FastAPI ${results.machine.fastapi}, uvicorn ${results.machine.uvicorn}, ` +
    `Python ${results.machine.python}; ${results.machine.openssl}; ${results.machine.wrk}.`,
    "",
    "| case | conns | server | req/s | vs FastAPI | vs Hono ceiling | p50 ms | p90 ms | p99 ms | max ms | non-2xx |",
    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const name of cases) {
    for (const c of conns) {
      const fastapi = find(results, "fastapi reference", name, c);
      const hono = find(results, "deno+hono ceiling", name, c);
      for (const server of SERVERS) {
        const r = find(results, server, name, c);
        if (!r) continue;
        lines.push(
          `| ${name} | ${c} | ${server} | ${r.rps} | ${ratio(r.rps, fastapi?.rps)} | ${
            ratio(r.rps, hono?.rps)
          } | ` +
            `${r.p50} | ${r.p90} | ${r.p99} | ${r.max} | ${r.non2xx}${
              r.expectNon2xx && r.non2xx ? " (429, by design)" : ""
            } |`,
        );
      }
    }
  }
  const m = results.memory;
  const c = results.crypto;
  const hmac = c["node:crypto HMAC-SHA1 of the same counter"];
  const verify = c["totp verify wrong code, cached (3 steps compared)"];
  const web = c["RSA-OAEP-4096 decrypt, WebCrypto (the service's path)"];
  const nodeRsa = c["RSA-OAEP-4096 decrypt, node:crypto"];
  const opensslNs = results.openssl.msPerOp * 1e6;
  lines.push(
    "",
    "| measure | value | ratio |",
    "|---|---:|---:|",
    `| start to first 200 on /health (median of ${results.startMs.runs.length}) | ${
      results.startMs.median?.toFixed(0)
    } ms | – |`,
    `| resident memory after start | ${mb(m.afterStartBytes)} | – |`,
    `| resident memory after the load runs | ${mb(m.afterLoadBytes)} | ${
      ratio(m.afterLoadBytes!, m.afterStartBytes)
    } of start |`,
    `| soak: memory at first / last 5 s sample (max) | ${mb(m.soakFirstBytes)} / ${
      mb(m.soakLastBytes)
    } (${mb(m.soakMaxBytes)}) | ${ratio(m.soakLastBytes!, m.soakFirstBytes)} |`,
    `| TOTP verify, service path (cached per step) | ${verify} ns | ${
      ratio(verify!, hmac)
    } of one node:crypto HMAC-SHA1 (${hmac} ns) |`,
    `| TOTP generate, service path | ${
      c["totp generate, cached per step (the service's path)"]
    } ns | – |`,
    `| one uncached WebCrypto HMAC-SHA1 | ${c["hotp uncached: one WebCrypto HMAC-SHA1"]} ns | ${
      ratio(c["hotp uncached: one WebCrypto HMAC-SHA1"]!, hmac)
    } of node:crypto |`,
    `| RSA-OAEP-4096 decrypt, WebCrypto (service) | ${(web! / 1e6).toFixed(2)} ms | ${
      ratio(web!, opensslNs)
    } of OpenSSL (${results.openssl.msPerOp} ms) |`,
    `| RSA-OAEP-4096 decrypt, node:crypto | ${(nodeRsa! / 1e6).toFixed(2)} ms | ${
      ratio(nodeRsa!, opensslNs)
    } of OpenSSL |`,
  );
  if (results.v1Stores?.length) {
    lines.push(
      "",
      "| /v1 verify, 32 connections | state store | req/s | vs KV | p50 ms | p99 ms |",
      "|---|---|---:|---:|---:|---:|",
    );
    for (const row of results.v1Stores) {
      const kv = results.v1Stores.find((r) =>
        r.store === "kv" && r.case === row.case && r.connections === row.connections
      );
      lines.push(
        `| ${row.case} | ${row.store} | ${row.rps} | ${
          ratio(row.rps, kv?.rps)
        } | ${row.p50} | ${row.p99} |`,
      );
    }
  }
  if (results.realistic) lines.push("", realisticMarkdown(results.realistic));
  return lines.join("\n");
}

/** Horizontal bars of req/s and p99 at one connection count. */
export function svgChart(results: Results, connections: number): string {
  const cases = [...new Set(results.http.map((r) => r.case))];
  const servers = SERVERS.filter((s) => results.http.some((r) => r.server === s));
  const barH = 11;
  const groupH = servers.length * barH + 14;
  const top = 50;
  const panelW = 330;
  const labelW = 230;
  const height = top + cases.length * groupH + 40;
  const width = labelW + 2 * panelW + 60;
  const maxRps = Math.max(
    ...results.http.filter((r) => r.connections === connections).map((r) => r.rps),
  );
  const maxP99 = Math.max(
    ...results.http.filter((r) => r.connections === connections).map((r) => r.p99),
  );
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">pki-2fa benchmark, ${connections} connections (wrk, loopback)</text>`,
    `<text x="${labelW}" y="40" font-weight="bold">requests per second</text>`,
    `<text x="${labelW + panelW + 30}" y="40" font-weight="bold">p99 latency (ms)</text>`,
  ];
  cases.forEach((name, i) => {
    const y0 = top + i * groupH;
    out.push(
      `<text x="10" y="${y0 + groupH / 2}">${
        name.replace(/&/g, "&amp;").replace(/</g, "&lt;")
      }</text>`,
    );
    servers.forEach((server, j) => {
      const r = find(results, server, name, connections);
      if (!r) return;
      const y = y0 + j * barH;
      const w1 = Math.max(1, (r.rps / maxRps) * (panelW - 60));
      const w2 = Math.max(1, (r.p99 / maxP99) * (panelW - 60));
      out.push(
        `<rect x="${labelW}" y="${y}" width="${w1.toFixed(1)}" height="${barH - 2}" fill="${
          COLORS[SERVERS.indexOf(server)]
        }"/>`,
        `<text x="${labelW + w1 + 4}" y="${y + barH - 3}">${r.rps}</text>`,
        `<rect x="${labelW + panelW + 30}" y="${y}" width="${w2.toFixed(1)}" height="${
          barH - 2
        }" fill="${COLORS[SERVERS.indexOf(server)]}"/>`,
        `<text x="${labelW + panelW + 34 + w2}" y="${y + barH - 3}">${r.p99}</text>`,
      );
    });
  });
  servers.forEach((server, j) => {
    const x = 10 + j * 170;
    out.push(
      `<rect x="${x}" y="${height - 22}" width="10" height="10" fill="${
        COLORS[SERVERS.indexOf(server)]
      }"/>`,
      `<text x="${x + 14}" y="${height - 13}">${server}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** Writes the chart and replaces the table in bench/README.md. */
export async function writeReport(results: Results): Promise<void> {
  const connections = results.http.some((r) => r.connections === 32)
    ? 32
    : results.http[0]!.connections;
  await Deno.writeTextFile(`${ROOT}/bench/results/chart.svg`, svgChart(results, connections));
  const path = `${ROOT}/bench/README.md`;
  const readme = await Deno.readTextFile(path);
  const start = "<!-- results:start -->";
  const end = "<!-- results:end -->";
  const before = readme.slice(0, readme.indexOf(start) + start.length);
  const after = readme.slice(readme.indexOf(end));
  await Deno.writeTextFile(path, `${before}\n${markdown(results)}\n${after}`);
  // Keep the generated table and chart in the form `deno fmt --check` expects (it formats
  // SVG too: an unformatted chart failed `deno task ok` after a run).
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", path, `${ROOT}/bench/results/chart.svg`],
    stdout: "null",
    stderr: "null",
  }).output();
}
