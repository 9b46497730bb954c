import assert from "node:assert/strict";
import { serviceKey } from "./service_key.ts";
import { CliError } from "./cli.ts";
import { opensslKeyPairPem, opensslSpkiSha256 } from "../testing/openssl.ts";
import { withTempDir } from "../testing/temp_dir.ts";

const BASE = "http://pki2fa.test";
const failure = (problem: string) =>
  new CliError(
    `Cannot get the service's public key from GET ${BASE}/v1/keys: ${problem}; or give --public-key PATH`,
  );

Deno.test("serviceKey() takes the active seed-encryption key, skipping decrypt-only and audit keys", async () => {
  await withTempDir(async (dir) => {
    const [old, active] = [await opensslKeyPairPem(2048), await opensslKeyPairPem(2048)];
    await Deno.writeTextFile(`${dir}/active.pem`, active.publicPem);
    await Deno.writeTextFile(`${dir}/old.pem`, old.publicPem);
    const kid = await opensslSpkiSha256(`${dir}/active.pem`);
    const oldKid = await opensslSpkiSha256(`${dir}/old.pem`);
    const keys = [
      { kid: oldKid, use: "audit", status: "active", public_key: old.publicPem },
      { kid: oldKid, use: "seed-encryption", status: "decrypt-only", public_key: old.publicPem },
      { kid, use: "seed-encryption", status: "active", public_key: active.publicPem },
    ];
    const seen: string[] = [];
    const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(`${init?.method} ${input}`);
      return Promise.resolve(Response.json({ keys }));
    };
    const key = await serviceKey(BASE, { fetch: fetch as typeof globalThis.fetch });
    assert.deepEqual([key.kid, key.bits, key.source], [kid, 2048, `GET ${BASE}/v1/keys`]);
    assert.deepEqual(key.spki, active.spki);
    assert.deepEqual(seen, [`GET ${BASE}/v1/keys`]);
    // A file is read instead, and the service is not asked.
    const fromFile = await serviceKey(BASE, {
      path: `${dir}/old.pem`,
      fetch: fetch as typeof globalThis.fetch,
    });
    assert.deepEqual([fromFile.kid, fromFile.source], [oldKid, `${dir}/old.pem`]);
    assert.equal(seen.length, 1);
  });
});

Deno.test("serviceKey() gives up on a service that does not answer in time", async () => {
  const hang = (_: RequestInfo | URL, init?: RequestInit) =>
    new Promise<Response>((_, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
    });
  await assert.rejects(
    serviceKey(BASE, { fetch: hang as typeof globalThis.fetch, timeoutMs: 50 }),
    failure("the service did not answer in time"),
  );
});
