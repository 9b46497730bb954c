import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import {
  INSTRUCTOR_8192,
  opensslKeyPair,
  opensslSignPss,
  opensslSpkiSha256,
} from "../testing/openssl.ts";
import { publicKeyPemToSpki } from "../crypto/rsa_keys.ts";
import { SEALED_SEED_FILE } from "../store/seed_files.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SEED2 = "ab".repeat(32);
const NOW = 1_764_000_015_000; // code 557321 (step 58800000)
const CODE = "557321";
const TOKEN = "test-admin-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };

async function seeded(options: Parameters<typeof createAppFixture>[0] = {}) {
  const t = await createAppFixture({ now: NOW, ...options });
  const headers = options.security?.adminToken ? AUTH : {};
  const response = await t.call(
    "POST",
    "/decrypt-seed",
    { encrypted_seed: await t.encrypt(SEED) },
    headers,
  );
  assert.equal(response.status, 200);
  return t;
}

/** The signed seed message (docs/security.md) for the default subject, issued at NOW. */
async function seedMessageText(
  t: Awaited<ReturnType<typeof createAppFixture>>,
  encrypted: string,
): Promise<string> {
  await Deno.writeTextFile(`${t.dir}/service.pub`, t.keys.publicPem);
  const fingerprint = await opensslSpkiSha256(`${t.dir}/service.pub`);
  return `pki-2fa-seed-v1\ndefault\n${fingerprint}\n${ISSUED_AT}\n${encrypted}`;
}
const ISSUED_AT = new Date(NOW).toISOString();

const verify = (t: Awaited<ReturnType<typeof seeded>>, code: string) =>
  t.call("POST", "/verify-2fa", { code });

Deno.test("POST /verify-2fa: 100 concurrent requests with one valid code give exactly one true", async () => {
  await using t = await seeded();
  const responses = await Promise.all(Array.from({ length: 100 }, () => verify(t, CODE)));
  const bodies = await Promise.all(responses.map((r) => r.text()));
  assert.equal(bodies.filter((b) => b === '{"valid":true}').length, 1);
  assert.equal(bodies.filter((b) => b === '{"valid":false}').length, 5);
  assert.equal(bodies.filter((b) => b === '{"error":"Too many attempts"}').length, 94);
});

Deno.test("a replayed code answers exactly like a wrong code; only the audit log tells them apart", async () => {
  await using t = await seeded();
  assert.deepEqual(await statusAndBody(await verify(t, CODE)), {
    status: 200,
    body: { valid: true },
  });
  const replay = await verify(t, CODE);
  const wrong = await verify(t, "000000");
  assert.equal(replay.status, wrong.status);
  assert.equal(await replay.text(), await wrong.text());
  const headers = (r: Response) => [...r.headers].filter(([name]) => name !== "x-request-id");
  assert.deepEqual(headers(replay), headers(wrong));
  assert.deepEqual(
    t.audit.events.filter((e) => e.event.startsWith("verify.")).map((e) => [e.event, e.reason]),
    [
      ["verify.ok", undefined],
      ["verify.replay", undefined],
      ["verify.fail", "invalid"],
    ],
  );
  assert.ok(!JSON.stringify(t.audit.events).includes(CODE));
});

Deno.test("malformed codes are false and never touch the replay state", async () => {
  await using t = await seeded();
  for (const code of [" 557321", "５５７３２１", "557321\n"]) {
    assert.deepEqual(await statusAndBody(await verify(t, code)), {
      status: 200,
      body: { valid: false },
    });
  }
  assert.equal(await t.stateStore.getVerification("default", t.store.seed!.id), null);
  assert.deepEqual(await statusAndBody(await verify(t, CODE)), {
    status: 200,
    body: { valid: true },
  });
});

Deno.test("throttling over HTTP: 429 with Retry-After, the right code refused while locked, state kept across a restart", async () => {
  await using t = await seeded();
  for (let i = 0; i < 5; i++) {
    assert.equal(await (await verify(t, "000000")).text(), '{"valid":false}');
  }
  let response = await verify(t, CODE);
  assert.deepEqual(await statusAndBody(response), {
    status: 429,
    body: { error: "Too many attempts" },
  });
  assert.equal(response.headers.get("retry-after"), "30");
  await t.restart();
  t.clock.now = NOW + 10_000;
  response = await verify(t, CODE);
  assert.equal(response.status, 429);
  assert.equal(response.headers.get("retry-after"), "20");
  t.clock.now = NOW + 30_000; // lock over, code still in the window
  assert.deepEqual(await statusAndBody(await verify(t, CODE)), {
    status: 200,
    body: { valid: true },
  });
  assert.equal(t.audit.events.filter((e) => e.event === "verify.locked").length, 1);
});

Deno.test("the replay mark survives a restart, and a new seed resets it", async () => {
  await using t = await seeded();
  assert.equal(await (await verify(t, CODE)).text(), '{"valid":true}');
  await t.restart();
  assert.equal(await (await verify(t, CODE)).text(), '{"valid":false}');
  assert.equal(t.audit.events.at(-1)?.event, "verify.replay");
  await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt(SEED2) });
  const code = (await (await t.call("GET", "/generate-2fa")).json()).code;
  assert.equal(await (await verify(t, code)).text(), '{"valid":true}');
});

Deno.test("ADMIN_TOKEN guards /decrypt-seed and /generate-2fa; /verify-2fa stays open", async () => {
  await using t = await seeded({ security: { adminToken: TOKEN } });
  const unauthorized = { status: 401, body: { error: "Unauthorized" } };
  const encrypted = await t.encrypt(SEED2);
  for (
    const headers of [{}, { authorization: "Bearer wrong-token-0123456789" }, {
      authorization: TOKEN,
    }]
  ) {
    const post = await t.call("POST", "/decrypt-seed", { encrypted_seed: encrypted }, headers);
    assert.deepEqual(await statusAndBody(post), unauthorized);
    assert.equal(post.headers.get("www-authenticate"), 'Bearer realm="pki-2fa"');
    assert.deepEqual(
      await statusAndBody(await t.call("GET", "/generate-2fa", undefined, headers)),
      unauthorized,
    );
  }
  assert.equal(await t.seedFile(), SEED, "no unauthorised request changed the seed");
  assert.deepEqual(
    t.audit.events.filter((e) => e.event === "auth.denied").map((e) => e.reason),
    ["no token", "no token", "wrong token", "wrong token", "no token", "no token"],
  );
  assert.deepEqual(await statusAndBody(await t.call("GET", "/generate-2fa", undefined, AUTH)), {
    status: 200,
    body: { code: CODE, valid_for: 15 },
  });
  assert.deepEqual(await statusAndBody(await verify(t, CODE)), {
    status: 200,
    body: { valid: true },
  });
  assert.ok(!JSON.stringify(t.audit.events).includes(TOKEN));
});

Deno.test("re-posting the stored seed is idempotent: 200 and seed.unchanged", async () => {
  await using t = await seeded({ security: { adminToken: TOKEN } });
  const again = await t.call(
    "POST",
    "/decrypt-seed",
    { encrypted_seed: await t.encrypt(SEED) },
    AUTH,
  );
  assert.deepEqual(await statusAndBody(again), { status: 200, body: { status: "ok" } });
  assert.deepEqual(t.audit.events.map((e) => e.event), ["seed.set", "seed.unchanged"]);
});

Deno.test("issuer-signed seeds: openssl's PSS signature by the 8192-bit key is accepted; others are 401", async () => {
  const issuerSpki = publicKeyPemToSpki(await Deno.readTextFile(INSTRUCTOR_8192.publicPath));
  await using t = await createAppFixture({ now: NOW, security: { issuerSpki } });
  const encrypted = await t.encrypt(SEED);
  const signature = (await opensslSignPss(
    INSTRUCTOR_8192.privatePath,
    await seedMessageText(t, encrypted),
  )).toBase64();
  assert.deepEqual(
    await statusAndBody(
      await t.call("POST", "/decrypt-seed", {
        encrypted_seed: encrypted,
        signature,
        issued_at: ISSUED_AT,
      }),
    ),
    { status: 200, body: { status: "ok" } },
  );
  const other = await Deno.makeTempDir();
  try {
    const wrongSigner = await opensslKeyPair(other);
    const encrypted2 = await t.encrypt(SEED2);
    const invalid = { status: 401, body: { error: "Invalid seed signature" } };
    const cases: [string, unknown, string][] = [
      [
        "wrong signer",
        (await opensslSignPss(wrongSigner.privatePath, await seedMessageText(t, encrypted2)))
          .toBase64(),
        "signature invalid",
      ],
      ["another ciphertext's signature", signature, "signature invalid"],
      ["not base64", "%%%", "signature not base64"],
      ["not a string", 42, "signature not a string"],
    ];
    for (const [name, sig, reason] of cases) {
      const response = await t.call("POST", "/decrypt-seed", {
        encrypted_seed: encrypted2,
        signature: sig,
        issued_at: ISSUED_AT,
      });
      assert.deepEqual(await statusAndBody(response), invalid, name);
      assert.equal(t.audit.events.at(-1)?.reason, reason, name);
    }
    // A tampered ciphertext: one base64 character changed after signing.
    const tampered = encrypted2.slice(0, 10) + (encrypted2[10] === "A" ? "B" : "A") +
      encrypted2.slice(11);
    const goodSig = (await opensslSignPss(
      INSTRUCTOR_8192.privatePath,
      await seedMessageText(t, encrypted2),
    )).toBase64();
    assert.deepEqual(
      await statusAndBody(
        await t.call("POST", "/decrypt-seed", {
          encrypted_seed: tampered,
          signature: goodSig,
          issued_at: ISSUED_AT,
        }),
      ),
      invalid,
    );
  } finally {
    await Deno.remove(other, { recursive: true });
  }
  assert.equal(await t.seedFile(), SEED);
});

Deno.test("REQUIRE_SEED_SIGNATURE=true refuses unsigned seeds with 401", async () => {
  const issuerSpki = publicKeyPemToSpki(await Deno.readTextFile(INSTRUCTOR_8192.publicPath));
  await using t = await createAppFixture({
    now: NOW,
    security: { issuerSpki, requireSeedSignature: true },
  });
  const encrypted = await t.encrypt(SEED);
  assert.deepEqual(
    await statusAndBody(await t.call("POST", "/decrypt-seed", { encrypted_seed: encrypted })),
    {
      status: 401,
      body: { error: "Seed signature required" },
    },
  );
  assert.equal(await t.seedFile(), null);
  const signature = (await opensslSignPss(
    INSTRUCTOR_8192.privatePath,
    await seedMessageText(t, encrypted),
  )).toBase64();
  assert.equal(
    (await t.call("POST", "/decrypt-seed", {
      encrypted_seed: encrypted,
      signature,
      issued_at: ISSUED_AT,
    })).status,
    200,
  );
  assert.equal(await t.seedFile(), SEED);
});

Deno.test("SEED_AT_REST=sealed keeps only the ciphertext on disk", async () => {
  await using t = await createAppFixture({ atRest: "sealed" });
  const encrypted = await t.encrypt(SEED);
  assert.equal((await t.call("POST", "/decrypt-seed", { encrypted_seed: encrypted })).status, 200);
  assert.equal(await t.seedFile(), null);
  assert.equal(await Deno.readTextFile(`${t.dataDir}/${SEALED_SEED_FILE}`), encrypted + "\n");
  for await (const entry of Deno.readDir(t.dataDir)) {
    if (entry.isFile) {
      assert.ok(!(await Deno.readTextFile(`${t.dataDir}/${entry.name}`)).includes(SEED));
    }
  }
  await t.restart();
  assert.equal((await (await t.call("GET", "/generate-2fa")).json()).code, "557321");
});

Deno.test("rate limit per client: 429 with Retry-After; X-Forwarded-For only behind a trusted proxy", async () => {
  await using t = await seeded({ security: { rateLimitPerMinute: 3, trustProxy: true } });
  const from = (client: string) =>
    t.call("GET", "/generate-2fa", undefined, { "x-forwarded-for": `10.0.0.9, ${client}` });
  // The seeding request came from "unknown"; this client has its own bucket.
  for (let i = 0; i < 3; i++) assert.equal((await from("192.0.2.1")).status, 200);
  const limited = await from("192.0.2.1");
  assert.deepEqual(await statusAndBody(limited), {
    status: 429,
    body: { error: "Too many requests" },
  });
  assert.equal(limited.headers.get("retry-after"), "20");
  assert.equal((await from("192.0.2.2")).status, 200);
  assert.deepEqual(t.audit.events.filter((e) => e.event === "rate.limited").map((e) => e.client), [
    "192.0.2.1",
  ]);
  t.clock.now += 20_000;
  assert.equal((await from("192.0.2.1")).status, 200);

  await using untrusted = await createAppFixture({ security: { rateLimitPerMinute: 2 } });
  for (const client of ["a", "b"]) {
    assert.equal(
      (await untrusted.call("GET", "/openapi.json", undefined, { "x-forwarded-for": client }))
        .status,
      200,
    );
  }
  assert.equal(
    (await untrusted.call("GET", "/openapi.json", undefined, { "x-forwarded-for": "c" })).status,
    429,
  );
});

Deno.test("/health and /ready are never rate limited: 140 probes in a row at 120 a minute", async () => {
  await using t = await createAppFixture({ security: { rateLimitPerMinute: 120 } });
  const statuses = new Map<string, number>();
  for (let i = 0; i < 140; i++) {
    for (const path of ["/health", "/ready"]) {
      const { status } = await t.call(i % 2 === 0 ? "GET" : "HEAD", path);
      statuses.set(`${path} ${status}`, (statuses.get(`${path} ${status}`) ?? 0) + 1);
    }
  }
  assert.deepEqual(Object.fromEntries(statuses), { "/health 200": 140, "/ready 200": 140 });
  assert.equal(t.audit.events.filter((e) => e.event === "rate.limited").length, 0);
  // The same client is still limited everywhere else.
  for (let i = 0; i < 120; i++) await t.call("GET", "/openapi.json");
  assert.equal((await t.call("GET", "/openapi.json")).status, 429);
  assert.equal((await t.call("GET", "/health")).status, 200);
});

Deno.test("CORS headers only for configured origins", async () => {
  await using closed = await createAppFixture();
  const plain = await closed.call("GET", "/health", undefined, { origin: "https://app.example" });
  assert.equal(plain.headers.get("access-control-allow-origin"), null);
  await using open = await createAppFixture({ security: { corsOrigins: ["https://app.example"] } });
  const allowed = await open.call("GET", "/health", undefined, { origin: "https://app.example" });
  assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
  const other = await open.call("GET", "/health", undefined, { origin: "https://evil.example" });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
});
