/**
 * The HTTP answer when the state store lost its data and another data key took its place:
 * a clear 503 and nothing sealed, instead of a subject under a key only this process holds.
 */
import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { DATA_KEY_KEY, subjectRecordKey } from "../store/state_keys.ts";
import { createWrappedDataKey } from "../crypto/envelope.ts";
import { testServiceKeys } from "../testing/service_keys.ts";

const ADMIN = "v1-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const LABELS = { issuer: "ACME", account_name: "a@example.com" };

Deno.test("enrol after the store lost its data: the key is stored again; another key there is 503", async () => {
  await using t = await createAppFixture({ security: { adminToken: ADMIN } });
  const enroll = (id: string) => t.call("POST", `/v1/subjects/${id}/enroll`, LABELS, AS_ADMIN);
  assert.equal((await enroll("alice")).status, 201);
  const dataKey = await t.stateStore.getRecord(DATA_KEY_KEY);
  await t.stateStore.deleteRecord(DATA_KEY_KEY);
  await t.stateStore.deleteRecord(subjectRecordKey("alice"));

  assert.equal((await enroll("bob")).status, 201);
  assert.deepEqual(await t.stateStore.getRecord(DATA_KEY_KEY), dataKey);

  const other = await testServiceKeys("b");
  await t.stateStore.setRecord(DATA_KEY_KEY, {
    wrapped: await createWrappedDataKey(other.publicKey),
    service_key: other.fingerprint,
    created_at: "2026-01-01T00:00:00.000Z",
  });
  assert.deepEqual(await statusAndBody(await enroll("carol")), {
    status: 503,
    body: {
      error: "Subject store unavailable: the state store holds another data key than this " +
        "replica (was the store reset?); nothing was sealed",
    },
  });
  assert.equal(await t.stateStore.getRecord(subjectRecordKey("carol")), null);
});
