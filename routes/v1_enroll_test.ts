/**
 * Enrolment is atomic (issue 12 item 7). Before the fix, labels of 200 × "€" made the QR
 * step fail with 500 after the subject was saved (with `?replace=true` the user's working
 * authenticator was destroyed), `Ac:me & Co` made a URI pyotp refuses, and 10 parallel
 * enrolments of one id gave five 201 and five 409.
 */
import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";

const ADMIN = "v1-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const NOW = 1_764_000_015_000;
const EUROS = "€".repeat(200);

function v1() {
  return createAppFixture({ now: NOW, security: { adminToken: ADMIN } });
}

type Fixture = Awaited<ReturnType<typeof v1>>;

function enroll(t: Fixture, id: string, labels: Record<string, string>, query = "") {
  return t.call("POST", `/v1/subjects/${id}/enroll${query}`, labels, AS_ADMIN);
}

async function currentCode(t: Fixture, id: string): Promise<string> {
  return (await (await t.call("GET", `/v1/subjects/${id}/code`, undefined, AS_ADMIN)).json()).code;
}

Deno.test("enroll: labels too long for a QR code are 400 and nothing is saved", async () => {
  await using t = await v1();
  assert.deepEqual(
    await statusAndBody(await enroll(t, "bob", { issuer: EUROS, account_name: EUROS })),
    {
      status: 400,
      body: {
        error:
          "issuer and account_name are too long for a QR code: the otpauth URI is 5498 bytes, more than fits at error correction M",
      },
    },
  );
  assert.deepEqual(
    await statusAndBody(await t.call("GET", "/v1/subjects/bob", undefined, AS_ADMIN)),
    { status: 404, body: { error: "Subject not found" } },
  );
  // The longest labels the schema takes, in ASCII, still fit.
  const ascii = await enroll(t, "carl", { issuer: "i".repeat(200), account_name: "a".repeat(200) });
  assert.equal(ascii.status, 201);
});

Deno.test("enroll ?replace=true that fails leaves the working credential exactly as it was", async () => {
  await using t = await v1();
  const first = await enroll(t, "carol", { issuer: "Acme", account_name: "carol" });
  assert.equal(first.status, 201);
  const totp = OTPAuth.URI.parse((await first.json()).otpauth_uri) as OTPAuth.TOTP;
  const before = await t.stateStore.getRecord(["subject_records", "carol"]);
  const failed = await enroll(t, "carol", { issuer: EUROS, account_name: EUROS }, "?replace=true");
  assert.equal(failed.status, 400);
  assert.deepEqual(await t.stateStore.getRecord(["subject_records", "carol"]), before);
  assert.equal(await currentCode(t, "carol"), totp.generate({ timestamp: NOW }));
  const colon = await enroll(t, "carol", { issuer: "Ac:me", account_name: "c" }, "?replace=true");
  assert.equal(colon.status, 400);
  assert.deepEqual(await t.stateStore.getRecord(["subject_records", "carol"]), before);
});

Deno.test("enroll and PUT seed refuse ':' in issuer or account name (Key Uri Format)", async () => {
  await using t = await v1();
  const message = (name: string) =>
    `${name} must not contain ":" (the Key Uri Format separates issuer and account name with it)`;
  assert.deepEqual(
    await statusAndBody(await enroll(t, "dave", { issuer: "Ac:me & Co", account_name: "dave" })),
    { status: 400, body: { error: message("issuer") } },
  );
  assert.deepEqual(
    await statusAndBody(await enroll(t, "dave", { issuer: "Acme", account_name: "da:ve" })),
    { status: 400, body: { error: message("account_name") } },
  );
  const put = await t.call("PUT", "/v1/subjects/dave/seed", {
    encrypted_seed: await t.encrypt("ab".repeat(20)),
    issuer: "Ac:me",
  }, AS_ADMIN);
  assert.deepEqual(await statusAndBody(put), { status: 400, body: { error: message("issuer") } });
  assert.equal(await t.stateStore.getRecord(["subject_records", "dave"]), null);
});

Deno.test("10 parallel enrolments of one id: exactly one 201 and nine 409", async () => {
  await using t = await v1();
  const responses = await Promise.all(
    Array.from(
      { length: 10 },
      (_, i) => enroll(t, "eve", { issuer: "Acme", account_name: `eve${i}` }),
    ),
  );
  const statuses = responses.map((r) => r.status).toSorted();
  assert.deepEqual(statuses, [201, ...Array(9).fill(409)]);
  const winner = responses.find((r) => r.status === 201)!;
  const body = await winner.json();
  for (const r of responses) if (r !== winner) await r.body?.cancel();
  // The stored subject is the one whose secret went out in the 201.
  const totp = OTPAuth.URI.parse(body.otpauth_uri) as OTPAuth.TOTP;
  assert.equal(await currentCode(t, "eve"), totp.generate({ timestamp: NOW }));
});
