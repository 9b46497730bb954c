/**
 * Ids that start with `_` are the stores' own: on Redis a subject `_index` was the sorted set
 * `<prefix>:subject_records:_index` that lists every subject, so enrolling it broke every
 * later enrolment and `DELETE /v1/subjects/_index` deleted the list. Every route that takes
 * an id, and the PSKC import's Key Id mapping, refuse them with one clear 400.
 */
import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import {
  encryptedSecret,
  keyContainer,
  keyPackage,
  opensslOaep,
  XMLENC11,
} from "../testing/pskc_files.ts";

const ADMIN = "v1-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const RESERVED = {
  status: 400,
  body: { error: "A subject id must not start with _ (reserved for the service's own store keys)" },
};

Deno.test("ids starting with _ are 400 on every /v1 subject route and nothing is saved", async () => {
  await using t = await createAppFixture({ security: { adminToken: ADMIN } });
  const labels = { issuer: "ACME", account_name: "a@example.com" };
  for (const id of ["_index", "_", "_x"]) {
    assert.deepEqual(
      await statusAndBody(await t.call("POST", `/v1/subjects/${id}/enroll`, labels, AS_ADMIN)),
      RESERVED,
      `enroll ${id}`,
    );
    assert.deepEqual(
      await statusAndBody(await t.call("DELETE", `/v1/subjects/${id}`, undefined, AS_ADMIN)),
      RESERVED,
      `delete ${id}`,
    );
    assert.deepEqual(
      await statusAndBody(await t.call("GET", `/v1/subjects/${id}`, undefined, AS_ADMIN)),
      RESERVED,
      `get ${id}`,
    );
    assert.deepEqual(
      await statusAndBody(
        await t.call("POST", `/v1/subjects/${id}/verify`, { code: "123456" }, AS_ADMIN),
      ),
      RESERVED,
      `verify ${id}`,
    );
  }
  // `_` inside an id is still fine.
  const ok = await t.call("POST", "/v1/subjects/a_index/enroll", labels, AS_ADMIN);
  assert.equal(ok.status, 201);
  const list = await (await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)).json();
  assert.deepEqual(list.subjects.map((s: { id: string }) => s.id), ["a_index"]);
});

Deno.test("POST /v1/import/pskc refuses a Key Id that maps to an id starting with _", async () => {
  await using t = await createAppFixture({ security: { adminToken: ADMIN } });
  const publicPath = `${t.dir}/service_public.pem`;
  await Deno.writeTextFile(publicPath, t.keys.publicPem);
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const value = await opensslOaep(publicPath, secret, "sha1");
  const file = keyContainer([
    keyPackage({ id: "_index", secretXml: encryptedSecret(`${XMLENC11}rsa-oaep`, value) }),
  ]);
  const response = await t.app.request("/v1/import/pskc", {
    method: "POST",
    headers: { ...AS_ADMIN, "content-type": "application/pskc+xml" },
    body: file,
  });
  assert.deepEqual(await statusAndBody(response), {
    status: 400,
    body: {
      error: "1 of 1 key package(s) cannot be imported; nothing was imported",
      packages: [{
        index: 1,
        key_id: "_index",
        reason: 'The subject id "_index" starts with _, which is reserved for the service\'s ' +
          "own store keys (rename the Key Id or use a prefix)",
      }],
    },
  });
  const list = await (await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)).json();
  assert.deepEqual(list.subjects, []);
});
