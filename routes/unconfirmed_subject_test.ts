/**
 * A subject whose console enrolment waits for its first code (`confirmed: false` in its
 * record) verifies nothing through the API: 409, no code used up, no failure counted.
 * Records the API writes stay in force as before.
 */
import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { subjectRecordKey } from "../store/state_keys.ts";
import type { SubjectRecord } from "../store/subject_store.ts";

const ADMIN = "unconfirmed-admin-token-0123";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const NOT_CONFIRMED = {
  status: 409,
  body: {
    error: "Subject not confirmed: confirm its enrolment with a first code in the admin console",
  },
};

/** Enrols `id` through the API and marks its record unconfirmed in the store. */
async function unconfirmed(t: Awaited<ReturnType<typeof createAppFixture>>, id: string) {
  const enrolled = await t.call("POST", `/v1/subjects/${id}/enroll`, {
    issuer: "ACME",
    account_name: id,
  }, AS_ADMIN);
  assert.equal(enrolled.status, 201);
  const { otpauth_uri, confirmed } = await enrolled.json();
  assert.equal(confirmed, true, "an API enrolment is in force at once");
  const record = await t.stateStore.getRecord<SubjectRecord>(subjectRecordKey(id));
  await t.stateStore.setRecord(subjectRecordKey(id), { ...record!, confirmed: false });
  return OTPAuth.URI.parse(otpauth_uri) as OTPAuth.TOTP;
}

Deno.test("an unconfirmed subject: GET shows confirmed false, verify is 409 and counts nothing", async () => {
  await using t = await createAppFixture({ security: { adminToken: ADMIN } });
  const totp = await unconfirmed(t, "carol");
  const shown = await (await t.call("GET", "/v1/subjects/carol", undefined, AS_ADMIN)).json();
  assert.equal(shown.confirmed, false);
  const code = totp.generate({ timestamp: t.clock.now });
  for (const body of [{ code }, { code: "000000" }, { recovery_code: "AAAA-AAAA-AAAA" }]) {
    assert.deepEqual(
      await statusAndBody(await t.call("POST", "/v1/subjects/carol/verify", body, AS_ADMIN)),
      NOT_CONFIRMED,
    );
  }
  const after = await (await t.call("GET", "/v1/subjects/carol", undefined, AS_ADMIN)).json();
  assert.equal(after.last_accepted_step, null);
  assert.equal(after.locked, false);
  // Once confirmed (by another process: this one still holds the old record), the same
  // code is good: it was not used up.
  const record = await t.stateStore.getRecord<SubjectRecord>(subjectRecordKey("carol"));
  await t.stateStore.setRecord(subjectRecordKey("carol"), { ...record!, confirmed: true });
  assert.deepEqual(
    await statusAndBody(await t.call("POST", "/v1/subjects/carol/verify", { code }, AS_ADMIN)),
    { status: 200, body: { valid: true } },
  );
});

Deno.test("an unconfirmed subject's seed replaced through the API is in force again", async () => {
  await using t = await createAppFixture({ security: { adminToken: ADMIN } });
  await unconfirmed(t, "dave");
  const put = await t.call("PUT", "/v1/subjects/dave/seed", {
    encrypted_seed: await t.encrypt("3132333435363738393031323334353637383930"),
  }, AS_ADMIN);
  assert.equal(put.status, 200);
  assert.equal((await put.json()).confirmed, true);
});
