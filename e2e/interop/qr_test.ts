/** The enrolment QR code, rendered by rsvg-convert and read back by zbarimg. */
import assert from "node:assert/strict";
import { createAppFixture } from "../../testing/app_fixture.ts";
import { run, runOk } from "../../testing/command.ts";

const ADMIN = "v1-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };

Deno.test("qr_svg renders (rsvg-convert) and decodes (zbarimg) to exactly the otpauth URI", async () => {
  await using t = await createAppFixture({ security: { adminToken: ADMIN } });
  const response = await t.call("POST", "/v1/subjects/qr-user/enroll", {
    issuer: "ACME Co",
    account_name: "qr-user@example.com",
    algorithm: "SHA512",
  }, AS_ADMIN);
  assert.equal(response.status, 201);
  const body = await response.json();
  await Deno.writeTextFile(`${t.dir}/qr.svg`, body.qr_svg);
  await runOk("rsvg-convert", [
    "-w",
    "600",
    "-b",
    "white",
    `${t.dir}/qr.svg`,
    "-o",
    `${t.dir}/qr.png`,
  ]);
  const decoded = await run("zbarimg", ["--raw", "-q", `${t.dir}/qr.png`]);
  assert.equal(decoded.code, 0, decoded.stderr);
  assert.equal(decoded.stdout.trim(), body.otpauth_uri);
});
