/**
 * Replacing the private key (issue 12 item 6). Before the fix the data key was created at
 * every first start and unwrapped at start, so after a key replacement the service exited
 * with an uncaught "RSA-OAEP decryption failed" and a stack trace, on every restart. Now it
 * starts: the assignment's endpoints work with the new key, /v1 answers 503, /ready names
 * `subject_store`, and one log line says how to recover.
 */
import assert from "node:assert/strict";
import { opensslEncrypt, opensslKeyPair } from "../testing/openssl.ts";
import { startServer } from "../testing/server_process.ts";

const TOKEN = "e2e-admin-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };

async function json(response: Response): Promise<{ status: number; body: unknown }> {
  return { status: response.status, body: await response.json() };
}

Deno.test("a replaced private key: the service starts, the assignment works, /v1 is 503 and /ready says why", async () => {
  const root = await Deno.makeTempDir({ prefix: "pki2fa-rekey-" });
  const env = {
    DATA_DIR: `${root}/data`,
    CRON_DIR: `${root}/cron`,
    KEYS_DIR: `${root}/keys`,
    ADMIN_TOKEN: TOKEN,
  };
  try {
    await Deno.mkdir(env.KEYS_DIR);
    await opensslKeyPair(env.KEYS_DIR);
    let server = await startServer(env);
    try {
      const enrolled = await fetch(`${server.url}/v1/subjects/alice/enroll`, {
        method: "POST",
        headers: AUTH,
        body: JSON.stringify({ issuer: "Acme", account_name: "alice" }),
      });
      assert.equal(enrolled.status, 201);
      await enrolled.body?.cancel();
    } finally {
      assert.equal(await server.stop(), 0);
    }
    await Deno.remove(env.KEYS_DIR, { recursive: true });
    await Deno.mkdir(env.KEYS_DIR);
    const { publicPath } = await opensslKeyPair(env.KEYS_DIR);

    server = await startServer(env);
    try {
      const locked = {
        status: 503,
        body: { error: "Subject store locked: data key does not match the service key" },
      };
      assert.deepEqual(
        await json(await fetch(`${server.url}/v1/subjects`, { headers: AUTH })),
        locked,
      );
      assert.deepEqual(
        await json(
          await fetch(`${server.url}/v1/subjects/alice/verify`, {
            method: "POST",
            headers: AUTH,
            body: JSON.stringify({ code: "123456" }),
          }),
        ),
        locked,
      );
      const ready = await json(await fetch(`${server.url}/ready`));
      assert.equal(ready.status, 503);
      assert.deepEqual((ready.body as { checks: unknown }).checks, {
        private_key: "ok",
        data_dir: "ok",
        cron_dir: "ok",
        state_store: "ok",
        subject_store: "error",
        audit_log: "ok",
        seed: "absent",
      });
      // The assignment's endpoints work with the new key.
      const seed = crypto.getRandomValues(new Uint8Array(32)).toHex();
      assert.deepEqual(
        await json(
          await fetch(`${server.url}/decrypt-seed`, {
            method: "POST",
            headers: AUTH,
            body: JSON.stringify({ encrypted_seed: await opensslEncrypt(publicPath, seed) }),
          }),
        ),
        { status: 200, body: { status: "ok" } },
      );
      const generated = await fetch(`${server.url}/generate-2fa`, { headers: AUTH });
      assert.equal(generated.status, 200);
      assert.match((await generated.json()).code, /^\d{6}$/);
      await (await fetch(`${server.url}/ready`)).body?.cancel();
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
    const output = server.output();
    assert.ok(!/Uncaught| {4}at /.test(output), output);
    const lines = output.split("\n").filter((l) => l.includes("subject store is locked"));
    assert.equal(lines.length, 1, output);
    assert.match(JSON.parse(lines[0]!).msg, /put back the private key the data key was wrapped to/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
