/**
 * `/v1/subjects/{id}/verify` on the Deno KV store and on the Redis store, same machine,
 * same wrk settings. Two cases each: a wrong code with protections relaxed (one record
 * read per request) and a replayed code with replay protection on (an atomic state update
 * per request, answered `{"valid": false}`).
 *
 * @module
 */
import * as OTPAuth from "otpauth";
import { startService } from "./servers.ts";
import { runWrk, type WrkResult } from "./wrk.ts";
import { startRedisServer } from "../testing/redis.ts";

/** One measured case. */
export interface V1StoreRow extends WrkResult {
  store: "kv" | "redis";
  case: string;
  connections: number;
}

const TOKEN = "bench-admin-token-0123456789";

/** Runs the comparison; `work` is a scratch folder with `keys/`. */
export async function benchV1Stores(
  work: string,
  options: {
    seconds: number;
    warmupSeconds: number;
    connections: number[];
    log: (line: string) => void;
  },
): Promise<V1StoreRow[]> {
  const rows: V1StoreRow[] = [];
  const redis = await startRedisServer();
  try {
    for (const store of ["kv", "redis"] as const) {
      for (const mode of ["relaxed", "replay-protected"] as const) {
        const service = await startService({
          KEYS_DIR: `${work}/keys`,
          DATA_DIR: `${work}/v1-${store}-${mode}`,
          CRON_DIR: `${work}/v1-cron`,
          ADMIN_TOKEN: TOKEN,
          STATE_STORE: store,
          ...(store === "redis" ? { REDIS_URL: `${redis.url}/${mode === "relaxed" ? 1 : 2}` } : {}),
          RATE_LIMIT_PER_MINUTE: "0",
          THROTTLE_MAX_FAILURES: "0",
          REPLAY_PROTECTION: mode === "relaxed" ? "false" : "true",
        });
        try {
          const enrolled =
            await (await fetch(`${service.url}/v1/subjects/bench/enroll?replace=true`, {
              method: "POST",
              headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
              body: JSON.stringify({ issuer: "bench", account_name: "bench" }),
            })).json();
          const totp = OTPAuth.URI.parse(enrolled.otpauth_uri) as OTPAuth.TOTP;
          const current = totp.generate();
          const code = mode === "relaxed"
            ? String((Number(current) + 500_000) % 1_000_000).padStart(6, "0")
            : current;
          const name = mode === "relaxed"
            ? "POST /v1/.../verify (wrong code, relaxed)"
            : "POST /v1/.../verify (replayed code, replay protection on)";
          for (const connections of options.connections) {
            const result = await runWrk({
              url: `${service.url}/v1/subjects/bench/verify`,
              method: "POST",
              body: JSON.stringify({ code }),
              headers: { authorization: `Bearer ${TOKEN}` },
              connections,
              seconds: options.seconds,
              warmupSeconds: options.warmupSeconds,
            });
            if (result.non2xx > 0 || result.socketErrors > 0) {
              throw new Error(
                `${store} ${name}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`,
              );
            }
            rows.push({ store, case: name, connections, ...result });
            options.log(
              `v1 ${store.padEnd(6)} ${
                name.padEnd(58)
              } c=${connections} ${result.rps} req/s p99 ${result.p99} ms`,
            );
          }
        } finally {
          await service.stop();
        }
      }
    }
  } finally {
    await redis.stop();
  }
  return rows;
}
