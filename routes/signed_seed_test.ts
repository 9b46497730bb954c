/**
 * Signed seeds cannot be replayed to roll a subject back (issue 12 item 5). Before the fix
 * the signature covered `encrypted_seed` alone, so posting signed m1, m2 and then m1 again
 * put m1's seed back (200). openssl is the independent signer here: `openssl dgst -sign`
 * with PSS over the documented message text, built in this file, with the service key's
 * fingerprint computed by openssl.
 */
import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { opensslDgstSignPss, opensslKeyPair, opensslSpkiSha256 } from "../testing/openssl.ts";
import { publicKeyPemToSpki } from "../crypto/rsa_keys.ts";

const NOW = 1_764_000_015_000;
const ADMIN = "signed-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const STALE = { status: 409, body: { error: "Stale seed" } };

async function setup() {
  const dir = await Deno.makeTempDir();
  const issuer = await opensslKeyPair(dir, { privateName: "issuer.pem", publicName: "issuer.pub" });
  const issuerSpki = publicKeyPemToSpki(await Deno.readTextFile(issuer.publicPath));
  const t = await createAppFixture({
    now: NOW,
    security: { issuerSpki, requireSeedSignature: true, adminToken: ADMIN },
  });
  await Deno.writeTextFile(`${dir}/service.pub`, t.keys.publicPem);
  const fingerprint = await opensslSpkiSha256(`${dir}/service.pub`);
  /** A complete signed request body, as an issuer would send it. */
  async function signed(subject: string, seed: string, issuedAtMs: number, key = fingerprint) {
    const encrypted_seed = await t.encrypt(seed);
    const issued_at = new Date(issuedAtMs).toISOString();
    const text = `pki-2fa-seed-v1\n${subject}\n${key}\n${issued_at}\n${encrypted_seed}`;
    return {
      encrypted_seed,
      issued_at,
      signature: await opensslDgstSignPss(issuer.privatePath, text),
    };
  }
  return {
    t,
    signed,
    issuer,
    async [Symbol.asyncDispose]() {
      await t[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const seeds = Array.from({ length: 4 }, (_, i) => String(i + 1).repeat(64));

Deno.test("POST /decrypt-seed: signed m1, m2, then m1 again is 409 Stale seed and m2 stays", async () => {
  await using s = await setup();
  const post = (body: unknown) => s.t.call("POST", "/decrypt-seed", body, AS_ADMIN);
  const m1 = await s.signed("default", seeds[0]!, NOW - 60_000);
  const m2 = await s.signed("default", seeds[1]!, NOW - 30_000);
  assert.deepEqual(await statusAndBody(await post(m1)), { status: 200, body: { status: "ok" } });
  assert.deepEqual(await statusAndBody(await post(m2)), { status: 200, body: { status: "ok" } });
  assert.deepEqual(await statusAndBody(await post(m1)), STALE);
  assert.deepEqual(await statusAndBody(await post(m2)), STALE, "the same message twice");
  assert.equal(await s.t.seedFile(), seeds[1]);
  assert.deepEqual(
    s.t.audit.events.slice(-2).map((e) => [e.event, e.reason]),
    [["seed.rejected", "not newer than the seed in force"], [
      "seed.rejected",
      "not newer than the seed in force",
    ]],
  );
  // Older than 10 minutes: stale even though never seen; 10 minutes exactly is still fine.
  assert.deepEqual(
    await statusAndBody(await post(await s.signed("default", seeds[2]!, NOW - 600_001))),
    STALE,
  );
  assert.equal(await s.t.seedFile(), seeds[1]);
  assert.equal((await post(await s.signed("default", seeds[2]!, NOW))).status, 200);
  assert.equal(await s.t.seedFile(), seeds[2]);
  // More than 5 minutes ahead of the clock.
  assert.deepEqual(
    await statusAndBody(await post(await s.signed("default", seeds[3]!, NOW + 300_001))),
    {
      status: 400,
      body: { error: "issued_at is more than 5 minutes ahead of the service's clock" },
    },
  );
  assert.equal(await s.t.seedFile(), seeds[2]);
});

Deno.test("a signature binds the subject and the service key, and the old form (ciphertext only) is refused", async () => {
  await using s = await setup();
  const post = (body: unknown) => s.t.call("POST", "/decrypt-seed", body, AS_ADMIN);
  const invalid = { status: 401, body: { error: "Invalid seed signature" } };
  assert.deepEqual(
    await statusAndBody(await post(await s.signed("alice", seeds[0]!, NOW))),
    invalid,
  );
  assert.deepEqual(
    await statusAndBody(await post(await s.signed("default", seeds[0]!, NOW, "00".repeat(32)))),
    invalid,
  );
  const good = await s.signed("default", seeds[0]!, NOW);
  assert.deepEqual(
    await statusAndBody(await post({ ...good, issued_at: new Date(NOW - 1).toISOString() })),
    invalid,
    "issued_at is signed",
  );
  const oldForm = await opensslDgstSignPss(s.issuer.privatePath, good.encrypted_seed);
  assert.deepEqual(
    await statusAndBody(await post({ encrypted_seed: good.encrypted_seed, signature: oldForm })),
    {
      status: 401,
      body: {
        error:
          "Seed signatures must cover issued_at (the pki-2fa-seed-v1 message); a signature over encrypted_seed alone is refused",
      },
    },
  );
  assert.deepEqual(
    await statusAndBody(await post({ ...good, issued_at: "2025-11-24 16:00:15" })),
    { status: 400, body: { error: "issued_at must be a UTC time such as 2025-01-01T00:00:00Z" } },
  );
  assert.equal(await s.t.seedFile(), null);
  assert.equal((await post(good)).status, 200);
});

Deno.test("PUT /v1/subjects/{id}/seed: the same rule, and a deleted subject cannot be re-created from a replay", async () => {
  await using s = await setup();
  const put = (id: string, body: unknown) =>
    s.t.call("PUT", `/v1/subjects/${id}/seed`, body, AS_ADMIN);
  const m1 = await s.signed("alice", "a1".repeat(20), NOW - 60_000);
  const m2 = await s.signed("alice", "a2".repeat(20), NOW - 30_000);
  assert.equal((await put("alice", m1)).status, 201);
  assert.equal((await put("alice", m2)).status, 200);
  const record = await s.t.stateStore.getRecord(["subject_records", "alice"]);
  assert.deepEqual(await statusAndBody(await put("alice", m1)), STALE);
  assert.deepEqual(await s.t.stateStore.getRecord(["subject_records", "alice"]), record);
  assert.equal((await s.t.call("DELETE", "/v1/subjects/alice", undefined, AS_ADMIN)).status, 204);
  assert.deepEqual(await statusAndBody(await put("alice", m2)), STALE);
  assert.equal(await s.t.stateStore.getRecord(["subject_records", "alice"]), null);
  // The default subject through /v1 shares the mark of /decrypt-seed.
  const d1 = await s.signed("default", seeds[0]!, NOW - 10_000);
  assert.equal((await s.t.call("POST", "/decrypt-seed", d1, AS_ADMIN)).status, 200);
  assert.deepEqual(await statusAndBody(await put("default", d1)), STALE);
});

Deno.test("10 concurrent signed seeds for one subject: the newest is in force, whatever the order", async () => {
  await using s = await setup();
  const bodies = await Promise.all(
    Array.from(
      { length: 10 },
      (_, i) => s.signed("default", String(i).repeat(64), NOW - 10_000 + i),
    ),
  );
  const shuffled = bodies.toSorted(() => Math.random() - 0.5);
  await Promise.all(shuffled.map((b) => s.t.call("POST", "/decrypt-seed", b, AS_ADMIN)));
  assert.equal(await s.t.seedFile(), "9".repeat(64));
  assert.deepEqual(
    await statusAndBody(await s.t.call("POST", "/decrypt-seed", bodies[9], AS_ADMIN)),
    STALE,
  );
});
