/**
 * The container's health check: exits 0 when `GET /health` on this machine answers 200
 * within 3 s, else 1. The runtime image has no curl, so Deno itself asks.
 *
 * Run as `deno run --allow-net=127.0.0.1 --allow-env=PORT cli/healthcheck.ts`.
 *
 * @module
 */

/** Asks `/health` on `port`; true when it answers 200. */
export async function checkHealth(port: number, timeoutMs = 3000): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  Deno.exit(await checkHealth(Number(Deno.env.get("PORT") ?? "8080")) ? 0 : 1);
}
