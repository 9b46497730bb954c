/** import-pskc run in-process against the app (its fetch is app.request), with the RFC figures. */
import assert from "node:assert/strict";
import { main } from "./import_pskc.ts";
import { createAppFixture } from "../testing/app_fixture.ts";
import { memoryIo } from "../testing/memory_io.ts";
import { opensslKeyPairPem, opensslSpkiSha256 } from "../testing/openssl.ts";
import { DENO, freePort } from "../testing/server_process.ts";
import { run } from "../testing/command.ts";
import { encryptedSecret, keyContainer, keyPackage, opensslOaep } from "../testing/pskc_files.ts";

const ADMIN = "v1-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const FIXTURES = new URL("../testing/fixtures/pskc/", import.meta.url);
const figure = (n: number) => new URL(`rfc6030_figure${n}.pskcxml`, FIXTURES).pathname;
const URL_ = "http://pki2fa.test";

async function fixture(rateLimitPerMinute = 0) {
  const t = await createAppFixture({ security: { adminToken: ADMIN, rateLimitPerMinute } });
  const publicPath = `${t.dir}/service_public.pem`;
  await Deno.writeTextFile(publicPath, t.keys.publicPem);
  const requests: string[] = [];
  const waits: number[] = [];
  /** The clock moves instead of waiting, so the rate limit refills at once. */
  const sleep = (ms: number) => {
    waits.push(ms);
    t.clock.now += ms;
    return Promise.resolve();
  };
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    requests.push(`${init?.method} ${new URL(String(input)).pathname}`);
    return Promise.resolve(t.app.request(String(input), init));
  };
  return Object.assign(t, {
    publicPath,
    requests,
    waits,
    deps: { fetch: fetch as typeof globalThis.fetch, sleep },
  });
}

const codeOf = async (t: Awaited<ReturnType<typeof fixture>>, id: string) =>
  (await t.call("GET", `/v1/subjects/${id}/code`, undefined, AS_ADMIN)).text();

Deno.test("import-pskc Figure 6 with the RFC's pre-shared key: one 8-digit HOTP subject with RFC 4226's codes", async () => {
  await using t = await fixture();
  const io = memoryIo({ ADMIN_TOKEN: ADMIN });
  const args = [
    figure(6),
    "--url",
    URL_,
    "--key",
    "12345678901234567890123456789012",
    "--prefix",
    "hw.",
    "--public-key",
    t.publicPath,
  ];
  assert.equal(await main(args, io, t.deps), 0, io.errLines.join("\n"));
  assert.deepEqual(io.outLines, [
    "ok       hw.12345678 (hotp, SHA1, 8 digits, counter 0)",
    "imported hw.12345678",
    "1 token(s) imported",
  ]);
  assert.deepEqual(t.requests, ["PUT /v1/subjects/hw.12345678/seed"]);
  // RFC 4226 Appendix D, counter 0, as 8 digits (oathtool --hotp -d 8 -c 0 gives 84755224).
  assert.equal(await codeOf(t, "hw.12345678"), '{"code":"84755224","counter":0}');
  const meta = await (await t.call("GET", "/v1/subjects/hw.12345678", undefined, AS_ADMIN)).json();
  assert.deepEqual([meta.serial_no, meta.manufacturer, meta.issuer], [
    "987654321",
    "Manufacturer",
    "Issuer",
  ]);
});

Deno.test("import-pskc Figure 7 with the passphrase from an environment variable", async () => {
  await using t = await fixture();
  const io = memoryIo({ ADMIN_TOKEN: ADMIN, PSKC_PASSPHRASE: "qwerty" });
  const args = [
    figure(7),
    "--url",
    URL_,
    "--passphrase-env",
    "PSKC_PASSPHRASE",
    "--public-key",
    t.publicPath,
  ];
  assert.equal(await main(args, io, t.deps), 0, io.errLines.join("\n"));
  assert.equal(await codeOf(t, "123456"), '{"code":"84755224","counter":0}');
});

Deno.test("import-pskc skips Figure 5's PIN key and imports its HOTP key; --dry-run sends nothing", async () => {
  await using t = await fixture();
  const dry = memoryIo({});
  assert.equal(await main([figure(5), "--url", URL_, "--dry-run"], dry, t.deps), 0);
  assert.deepEqual(dry.outLines, [
    "ok       12345678 (hotp, SHA1, 8 digits, counter 0)",
    'skipped  123456781: The algorithm "pin" is not supported (HOTP and TOTP only)',
    "Dry run: 1 token(s) would be imported",
  ]);
  assert.deepEqual(dry.errLines, [
    "warning: the file holds its secrets in plain text; delete it once imported",
  ]);
  assert.deepEqual(t.requests, []);
  const io = memoryIo({ ADMIN_TOKEN: ADMIN });
  assert.equal(await main([figure(5), "--url", URL_, "--public-key", t.publicPath], io, t.deps), 0);
  assert.deepEqual(t.requests, ["PUT /v1/subjects/12345678/seed"]);
});

Deno.test("import-pskc refuses without the key, with a wrong key, and with an invalid package, sending nothing", async () => {
  await using t = await fixture();
  const run = async (args: string[], env: Record<string, string> = { ADMIN_TOKEN: ADMIN }) => {
    const io = memoryIo(env);
    const code = await main([...args, "--url", URL_, "--public-key", t.publicPath], io, t.deps);
    return { code, out: io.outLines, err: io.errLines };
  };
  assert.deepEqual(await run([figure(6)]), {
    code: 1,
    out: [],
    err: [
      'import-pskc: The secrets are encrypted with a pre-shared key named "Pre-shared-key": give it with --key HEX',
    ],
  });
  const wrong = await run([figure(6), "--key", "00".repeat(16)]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err[0]!, /^import-pskc: The MAC key cannot be decrypted: /);
  assert.deepEqual(await run([figure(2)]), {
    code: 1,
    out: ["invalid  12345678: The secret has 4 bytes; 10 to 64 are accepted"],
    err: [
      "warning: the file holds its secrets in plain text; delete it once imported",
      "import-pskc: Nothing was imported: 1 invalid key package(s)",
    ],
  });
  assert.deepEqual(t.requests, []);
  assert.equal((await run([figure(6), "--key", "00", "--passphrase-env", "X"])).code, 2);
  assert.equal((await run([figure(6)], {})).code, 2);
  assert.deepEqual((await run(["/nonexistent.pskcxml"])).err, [
    'import-pskc: PSKC file "/nonexistent.pskcxml" does not exist',
  ]);
  const reserved = await run([figure(2), "--prefix", "_index."]);
  assert.equal(reserved.code, 2);
  assert.match(reserved.err.join("\n"), /--prefix may hold only .*not starting with _\)/);
  assert.deepEqual(t.requests, []);
});

Deno.test("import-pskc posts an RFC 6030 section 6.3 file as it is to POST /v1/import/pskc", async () => {
  await using t = await fixture();
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const cipher = await opensslOaep(t.publicPath, secret, "sha1");
  const path = `${t.dir}/rsa.pskcxml`;
  await Deno.writeTextFile(
    path,
    keyContainer([
      keyPackage({
        id: "r1",
        secretXml: encryptedSecret("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", cipher),
      }),
    ]),
  );
  const io = memoryIo({ ADMIN_TOKEN: ADMIN });
  assert.equal(
    await main([path, "--url", URL_, "--prefix", "x-"], io, t.deps),
    0,
    io.errLines.join("\n"),
  );
  assert.deepEqual(t.requests, ["POST /v1/import/pskc"]);
  assert.deepEqual(io.outLines, ["imported x-r1", "1 token(s) imported"]);
});

Deno.test("import-pskc waits out the service's rate limit (429 with Retry-After) and imports every token", async () => {
  await using t = await fixture(2);
  const io = memoryIo({ ADMIN_TOKEN: ADMIN });
  const args = [figure(10), "--url", URL_, "--public-key", t.publicPath];
  assert.equal(await main(args, io, t.deps), 0, io.errLines.join("\n"));
  assert.equal(io.outLines.at(-1), "4 token(s) imported");
  assert.ok(t.waits.length >= 1, "the rate limit was never hit");
  assert.ok(io.errLines.some((line) => line.startsWith("Rate limited by the service; waiting ")));
  t.clock.now += 60_000;
  const list = await (await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)).json();
  assert.equal(list.subjects.length, 4);
});

Deno.test("import-pskc without --public-key encrypts to the active key of GET /v1/keys and names its kid", async () => {
  await using t = await fixture();
  const kid = await opensslSpkiSha256(t.publicPath);
  const io = memoryIo({ ADMIN_TOKEN: ADMIN });
  const args = [figure(6), "--url", URL_, "--key", "12345678901234567890123456789012"];
  assert.equal(await main(args, io, t.deps), 0, io.errLines.join("\n"));
  assert.deepEqual(io.errLines, [`Encrypting to key ${kid} (GET ${URL_}/v1/keys)`]);
  assert.deepEqual(t.requests, ["GET /v1/keys", "PUT /v1/subjects/12345678/seed"]);
  assert.equal(await codeOf(t, "12345678"), '{"code":"84755224","counter":0}');
  // With --public-key the file's kid is named instead, and the service is not asked.
  const named = memoryIo({ ADMIN_TOKEN: ADMIN });
  const withFile = [...args, "--prefix", "f.", "--public-key", t.publicPath];
  assert.equal(await main(withFile, named, t.deps), 0, named.errLines.join("\n"));
  assert.deepEqual(named.errLines, [`Encrypting to key ${kid} (${t.publicPath})`]);
  assert.equal(t.requests.filter((r) => r === "GET /v1/keys").length, 1);
});

Deno.test("import-pskc: an unreachable service or an answer that is not a key is a clear error; nothing is sent", async () => {
  await using t = await fixture();
  const activeKey = (pem: string, kid: string) => ({
    keys: [{ kid, use: "seed-encryption", status: "active", public_key: pem }],
  });
  const kid = await opensslSpkiSha256(t.publicPath);
  const otherPem = (await opensslKeyPairPem(2048)).publicPem;
  const answers: [Response, string][] = [
    [new Response("<html>Not Found</html>", { status: 404 }), "it answered HTTP 404, not a key"],
    [
      new Response("<html>hello</html>"),
      "its answer is not JSON (is --url the pki-2fa service?)",
    ],
    [Response.json({ status: "ok" }), 'its answer has no "keys" list'],
    [
      Response.json({ keys: [{ ...activeKey(t.keys.publicPem, kid).keys[0], use: "audit" }] }),
      "its answer has no active seed-encryption key",
    ],
    [
      Response.json(activeKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", kid)),
      "its active key is not an RSA public key PEM",
    ],
    [
      Response.json(activeKey(otherPem, kid)),
      "its active key does not match the kid it states",
    ],
    [new Response("x".repeat(300 * 1024)), "its answer is too large to be a key list"],
  ];
  for (const [answer, problem] of answers) {
    const sent: string[] = [];
    const fetch = (input: RequestInfo | URL) => {
      sent.push(new URL(String(input)).pathname);
      return Promise.resolve(answer.clone());
    };
    const io = memoryIo({ ADMIN_TOKEN: ADMIN });
    const code = await main(
      [figure(6), "--url", URL_, "--key", "12345678901234567890123456789012"],
      io,
      { fetch: fetch as typeof globalThis.fetch, sleep: () => Promise.resolve() },
    );
    assert.deepEqual({ code, err: io.errLines, sent }, {
      code: 1,
      err: [
        `import-pskc: Cannot get the service's public key from GET ${URL_}/v1/keys: ${problem}; or give --public-key PATH`,
      ],
      sent: ["/v1/keys"],
    });
  }
  // A port nothing listens on, through the real fetch.
  const dead = `http://127.0.0.1:${freePort()}`;
  const io = memoryIo({ ADMIN_TOKEN: ADMIN });
  const code = await main(
    [figure(6), "--url", dead, "--key", "12345678901234567890123456789012"],
    io,
  );
  assert.deepEqual({ code, err: io.errLines }, {
    code: 1,
    err: [
      `import-pskc: Cannot get the service's public key from GET ${dead}/v1/keys: the service is unreachable; or give --public-key PATH`,
    ],
  });
});

Deno.test("import-pskc escapes terminal control sequences from the file in what it prints (real terminal)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const root = `<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc"`;
    const cases: [string, string][] = [
      [
        `${root}><a\x1b]0;pwned\x07></b></KeyContainer>`,
        "import-pskc: The document is not well-formed XML: Tag 'a\\x1b]0;pwned\\x07' is an " +
        "invalid name. (line 1)\n",
      ],
      [
        `${root} A="&\x1b[2J\u202e;"/>`,
        'import-pskc: The entity "&\\x1b[2J\\u202e;" is not defined\n',
      ],
    ];
    for (const [xml, expected] of cases) {
      await Deno.writeTextFile(`${dir}/evil.pskcxml`, xml);
      const result = await run(DENO, [
        "run",
        "--allow-read",
        "--allow-env",
        new URL("./import_pskc.ts", import.meta.url).pathname,
        `${dir}/evil.pskcxml`,
        "--url",
        "http://127.0.0.1:9",
        "--dry-run",
      ]);
      assert.deepEqual([result.code, result.stdout, result.stderr], [1, "", expected]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
