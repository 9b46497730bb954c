import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { spkiFingerprint } from "../crypto/rsa_keys.ts";

Deno.test("GET /v1/keys needs no token, even where /v1 is closed (no ADMIN_TOKEN) or a token is wrong", async () => {
  await using t = await createAppFixture();
  const expected = {
    status: 200,
    body: {
      keys: [{
        kid: await spkiFingerprint(t.keys.spki),
        use: "seed-encryption",
        status: "active",
        public_key: t.keys.publicPem,
      }],
    },
  };
  const response = await t.call("GET", "/v1/keys");
  assert.equal(response.headers.get("cache-control"), "no-cache");
  assert.deepEqual(await statusAndBody(response), expected);
  assert.deepEqual(await statusAndBody(await t.call("GET", "/v1/subjects")), {
    status: 503,
    body: { error: "The /v1 API needs ADMIN_TOKEN" },
  });
  assert.deepEqual(
    await statusAndBody(
      await t.call("GET", "/v1/keys", undefined, { authorization: "Bearer nope" }),
    ),
    expected,
  );
  assert.deepEqual(t.audit.events, []);
});

Deno.test("/v1/keys takes only GET and HEAD; other methods get /v1's 401, or 405 with a token", async () => {
  const token = "admin-token-0123456789";
  await using t = await createAppFixture({ security: { adminToken: token } });
  for (const method of ["POST", "PUT", "DELETE"]) {
    assert.deepEqual(await statusAndBody(await t.call(method, "/v1/keys", { keys: [] })), {
      status: 401,
      body: { error: "Unauthorized" },
    });
    const response = await t.call(method, "/v1/keys", { keys: [] }, {
      authorization: `Bearer ${token}`,
    });
    assert.deepEqual(await statusAndBody(response), {
      status: 405,
      body: { error: "Method not allowed" },
    });
    assert.equal(response.headers.get("allow"), "GET, HEAD");
  }
  assert.equal((await t.call("HEAD", "/v1/keys")).status, 200);
  assert.equal((await (await t.call("GET", "/v1/keys")).json()).keys.length, 1);
});
