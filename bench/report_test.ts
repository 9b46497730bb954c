import assert from "node:assert/strict";
import { markdown, type Results, svgChart } from "./report.ts";
import { parseOpensslSpeed } from "./environment.ts";

const row = (server: string, rps: number, p99: number) => ({
  server,
  case: "GET /health",
  connections: 32,
  rps,
  p50: 1,
  p90: 2,
  p99,
  max: 9,
  non2xx: 0,
  expectNon2xx: false,
});

const results: Results = {
  date: "2026-11-26T00:00:00.000Z",
  machine: {
    cpu: "Test CPU",
    cores: 2,
    deno: "2.9.6",
    hono: "4.13.19",
    fastapi: "0.1",
    uvicorn: "0.2",
    python: "3.11",
    openssl: "OpenSSL 3",
    wrk: "wrk 4",
  },
  http: [
    row("pki-2fa (relaxed)", 30_000, 2),
    row("deno+hono ceiling", 60_000, 1),
    row("fastapi reference", 1_500, 30),
  ],
  startMs: { median: 120, runs: [110, 120, 130] },
  memory: {
    afterStartBytes: 50 * 1024 * 1024,
    afterLoadBytes: 60 * 1024 * 1024,
    soakFirstBytes: 60 * 1024 * 1024,
    soakLastBytes: 60 * 1024 * 1024,
    soakMaxBytes: 61 * 1024 * 1024,
  },
  crypto: {
    "node:crypto HMAC-SHA1 of the same counter": 8000,
    "totp verify wrong code, cached (3 steps compared)": 2000,
    "totp generate, cached per step (the service's path)": 200,
    "hotp uncached: one WebCrypto HMAC-SHA1": 40000,
    "RSA-OAEP-4096 decrypt, WebCrypto (the service's path)": 12_000_000,
    "RSA-OAEP-4096 decrypt, node:crypto": 12_000_000,
  },
  openssl: { privateOpsPerSecond: 250, msPerOp: 4 },
};

Deno.test("markdown() names the reference stack's versions in the header", () => {
  assert.equal(
    markdown(results).split("\n")[0],
    "Run 2026-11-26T00:00:00.000Z on Test CPU (2 cores), Deno 2.9.6, Hono 4.13.19; " +
      "FastAPI 0.1, uvicorn 0.2, Python 3.11; OpenSSL 3; wrk 4.",
  );
});

Deno.test("markdown() gives each figure absolute and as ratios to the baselines", () => {
  const text = markdown(results);
  assert.ok(
    text.includes(
      "| GET /health | 32 | pki-2fa (relaxed) | 30000 | 20× | 0.50× | 1 | 2 | 2 | 9 | 0 |",
    ),
    text,
  );
  assert.ok(text.includes("| GET /health | 32 | fastapi reference | 1500 | 1.00× | 0.03× |"));
  assert.ok(text.includes("| resident memory after the load runs | 60.0 MB | 1.20× of start |"));
  assert.ok(
    text.includes(
      "| TOTP verify, service path (cached per step) | 2000 ns | 0.25× of one node:crypto HMAC-SHA1 (8000 ns) |",
    ),
  );
  assert.ok(
    text.includes(
      "| RSA-OAEP-4096 decrypt, WebCrypto (service) | 12.00 ms | 3.00× of OpenSSL (4 ms) |",
    ),
  );
});

Deno.test("svgChart() draws one bar per server and case, scaled to the largest", () => {
  const svg = svgChart(results, 32);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal(svg.match(/<rect x="230"/g)?.length, 3, "three throughput bars");
  assert.ok(svg.includes('width="270.0"'), "the ceiling's bar is the full width");
  assert.ok(svg.includes(">60000<") && svg.includes(">1500<"));
});

Deno.test("parseOpensslSpeed() reads sign/s from OpenSSL 3.0 and later layouts", () => {
  const v30 =
    "                  sign    verify    sign/s verify/s\nrsa 4096 bits 0.004198s 0.000062s    238.2  16150.8\n";
  assert.deepEqual(parseOpensslSpeed(v30), { privateOpsPerSecond: 238.2, msPerOp: 4.2 });
  const v35 =
    "                   sign    verify    encrypt   decrypt   sign/s verify/s  encr./s  decr./s\n" +
    "rsa 4096 bits 0.004000s 0.000060s 0.000061s 0.004100s    250.0  16666.7  16393.4    243.9\n";
  assert.deepEqual(parseOpensslSpeed(v35), { privateOpsPerSecond: 250, msPerOp: 4 });
  assert.throws(() => parseOpensslSpeed("nothing"), /No rsa 4096 line/);
});
