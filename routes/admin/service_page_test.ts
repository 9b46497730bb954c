/**
 * The service page: default seed, keys with fingerprints, state store, readiness and the last
 * 50 audit events of this process, none of which holds a secret.
 */
import assert from "node:assert/strict";
import { createAppFixture } from "../../testing/app_fixture.ts";
import {
  CONSOLE_ADMIN_TOKEN,
  ConsoleClient,
  tableRows,
  textOf,
} from "../../testing/console_client.ts";
import { spkiFingerprint } from "../../crypto/rsa_keys.ts";

const AS_ADMIN = { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}` };
const ASSIGNMENT_SEED = "3132333435363738393031323334353637383930313233343536373839303132";

/** The rows of the page's n-th table body. */
function rowsOfTable(html: string, n: number): string[] {
  const bodies = [...html.matchAll(/<tbody>[\s\S]*?<\/tbody>/g)].map((m) => m[0]);
  return tableRows(bodies[n] ?? "");
}

Deno.test("the service page: seed, keys, state store and readiness as /ready and /v1/keys say", async () => {
  await using t = await createAppFixture({ security: { adminToken: CONSOLE_ADMIN_TOKEN } });
  const browser = new ConsoleClient(t.app);
  await browser.signIn();
  const page = await browser.get("/admin/service");
  assert.equal(page.status, 200);
  const text = textOf(page.html);
  assert.match(text, /Default seed No seed yet: POST \/decrypt-seed or PUT/);
  const kid = await spkiFingerprint(t.keys.spki);
  assert.deepEqual(rowsOfTable(page.html, 0), [`seed-encryption active ${kid}`]);
  assert.match(text, /No audit signing key: the audit file \(AUDIT_LOG_FILE\) is off\./);
  assert.match(
    text,
    /State store Kind Deno KV \(this process\) Answering yes Subject data key (ok|absent)/,
  );
  const ready = await (await t.call("GET", "/ready")).json();
  assert.match(text, /Ready \(GET \/ready answers 200\)\./);
  assert.deepEqual(
    rowsOfTable(page.html, 1),
    Object.entries(ready.checks).map(([name, value]) => `${name} ${value}`),
  );
  await t.call(
    "POST",
    "/decrypt-seed",
    { encrypted_seed: await t.encrypt(ASSIGNMENT_SEED) },
    AS_ADMIN,
  );
  const seeded = textOf((await browser.get("/admin/service")).html);
  assert.match(seeded, /Default seed Loaded \(seed id [0-9a-f]{16}… \)\. Its state/);
  assert.match(seeded, /seed loaded/);
});

Deno.test("recent audit events: newest first, at most 50, and never a token, seed or code", async () => {
  await using t = await createAppFixture({
    security: {
      adminToken: CONSOLE_ADMIN_TOKEN,
      verifyPolicy: { replayProtection: true, maxFailures: 1_000 },
    },
  });
  const browser = new ConsoleClient(t.app);
  await browser.get("/admin/sign-in");
  await browser.post("/admin/sign-in", { token: "a-wrong-token-0123456789" });
  await browser.post("/admin/sign-in", { token: CONSOLE_ADMIN_TOKEN });
  await browser.get("/admin/enrol");
  await browser.post("/admin/enrol", { subject: "alice", issuer: "ACME", account_name: "alice" });
  const enrolment = await browser.get("/admin/subjects/alice/enrolment");
  const secret = /data-testid="secret">([A-Z2-7 ]+)</.exec(enrolment.html)![1]!;
  const codes = await browser.post("/admin/subjects/alice/recovery-codes");
  const recovery = /<li>([0-9A-Z-]{14})<\/li>/.exec(codes.html)![1]!;
  await t.call("PUT", "/v1/subjects/bob/seed", {
    encrypted_seed: await t.encrypt(ASSIGNMENT_SEED),
  }, AS_ADMIN);
  await t.call("POST", "/v1/subjects/bob/verify", { code: "123456" }, AS_ADMIN);

  const page = await browser.get("/admin/service");
  const events = rowsOfTable(page.html, 2);
  assert.deepEqual(events.map((row) => row.split(" ").slice(2, 4).join(" ")), [
    "verify.fail bob",
    "seed.set bob",
    "recovery.generated alice",
    "seed.set alice",
    "admin.signed_in —",
    "auth.denied —",
  ]);
  assert.match(events[0]!, / unknown invalid$/);
  assert.match(events[2]!, / unknown 10 left$/);
  assert.match(events[5]!, / unknown wrong token$/);
  for (
    const secretText of [
      CONSOLE_ADMIN_TOKEN,
      "a-wrong-token",
      secret.replaceAll(" ", ""),
      recovery,
      ASSIGNMENT_SEED,
      "123456",
    ]
  ) {
    assert.ok(!page.html.includes(secretText), `the page holds ${secretText.slice(0, 6)}...`);
  }

  for (let i = 0; i < 60; i++) {
    await t.call("POST", "/v1/subjects/bob/verify", { code: String(100_000 + i) }, AS_ADMIN);
  }
  const full = rowsOfTable((await browser.get("/admin/service")).html, 2);
  assert.equal(full.length, 50);
  assert.ok(full.every((row) => row.includes("verify.fail bob")));
  assert.match(textOf(page.html), /Newest first, at most 50, from this process since it started/);
});
