import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { main } from "./import_uris.ts";
import { type AppFixture, createAppFixture } from "../testing/app_fixture.ts";
import { memoryIo } from "../testing/memory_io.ts";
import { exportUri } from "../testing/google_auth_export.ts";
import { opensslKeyPair, opensslSpkiSha256 } from "../testing/openssl.ts";
import { hotp, importHmacKey } from "../crypto/hotp.ts";
import { RFC4226_CODES, RFC4226_SECRET_HEX } from "../testing/rfc4226.ts";

const ADMIN = "import-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const NOW = 1_764_000_015_000;
const URL_ = "http://pki2fa.test";

/** The fixture's service, its public key file, and a fetch that reaches it in-process. */
async function service(t: AppFixture) {
  const publicKey = `${t.dir}/service_public.pem`;
  await Deno.writeTextFile(publicKey, t.keys.publicPem);
  const requests: string[] = [];
  const bodies: Record<string, unknown>[] = [];
  const fetch = ((input: string, init?: RequestInit) => {
    requests.push(`${init?.method ?? "GET"} ${input}`);
    if (typeof init?.body === "string") bodies.push(JSON.parse(init.body));
    return Promise.resolve(t.app.request(input, init));
  }) as typeof globalThis.fetch;
  const sleeps: number[] = [];
  const deps = {
    fetch,
    // Waiting moves the app's clock, so its rate limiter sees the time pass.
    sleep: (ms: number) => {
      sleeps.push(ms);
      t.clock.now += ms;
      return Promise.resolve();
    },
  };
  return { publicKey, deps, requests, bodies, sleeps };
}

function secretOf(n: number, length = 20): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + n) & 0xff);
}
const base32 = (bytes: Uint8Array) => new OTPAuth.Secret({ buffer: bytes.slice().buffer }).base32;

async function codeOf(t: AppFixture, id: string): Promise<string> {
  const response = await t.call("GET", `/v1/subjects/${id}/code`, undefined, AS_ADMIN);
  assert.equal(response.status, 200, id);
  return (await response.json()).code;
}

Deno.test("import-uris: a hand-encoded Google Authenticator export and URIs import every account; codes match", async () => {
  await using t = await createAppFixture({ now: NOW, security: { adminToken: ADMIN } });
  const { publicKey, deps, bodies } = await service(t);
  const accounts = [
    { name: "GitHub:octocat", issuer: "GitHub", algorithm: 1, digits: 1, secret: secretOf(1) },
    { name: "bob@example.com", algorithm: 2, digits: 2, secret: secretOf(2, 32) },
    { name: "Bank:carol", issuer: "Bank", algorithm: 3, digits: 1, secret: secretOf(3, 64) },
    { name: "Old:dave", issuer: "Old", algorithm: 1, digits: 1, secret: secretOf(4, 10) },
  ];
  // Labels this long do not fit one RSA-2048 block as a URI: sent as hex with the parameters.
  const longIssuer = "I".repeat(100);
  const file = `${t.dir}/accounts.txt`;
  await Deno.writeTextFile(
    file,
    [
      exportUri(accounts.map((a) => ({ ...a, type: 2 }))),
      `otpauth://totp/ACME:eve?secret=${
        base32(secretOf(5))
      }&issuer=ACME&algorithm=SHA256&digits=8&period=60`,
      `otpauth://totp/${longIssuer}:frank?secret=${base32(secretOf(6))}&issuer=${longIssuer}`,
    ].join("\n") + "\n",
  );
  const io = memoryIo({ ADMIN_TOKEN: ADMIN });
  const status = await main(
    [file, "--url", URL_, "--public-key", publicKey, "--prefix", "gauth-"],
    io,
    deps,
  );
  assert.deepEqual(io.errLines, [
    `Encrypting to key ${await opensslSpkiSha256(publicKey)} (${publicKey})`,
  ]);
  assert.equal(status, 0);
  const longId = `gauth-${longIssuer}_frank`;
  // Columns padded to the widest cell, two spaces apart; the ID column is as wide as longId.
  const row = (line: string, id: string, rest: string) =>
    `${line.padEnd(4)}  ${id.padEnd(longId.length)}  ${rest}`;
  assert.deepEqual(io.outLines, [
    row("LINE", "ID", "TYPE  ALGORITHM  DIGITS  PERIOD  COUNTER  RESULT"),
    row("1.1", "gauth-GitHub_octocat", "totp  SHA1       6       30      -        created"),
    row("1.2", "gauth-bob@example.com", "totp  SHA256     8       30      -        created"),
    row("1.3", "gauth-Bank_carol", "totp  SHA512     6       30      -        created"),
    row(
      "1.4",
      "gauth-Old_dave",
      "totp  SHA1       6       30      -        created (80-bit secret, under RFC 4226's 128)",
    ),
    row("2", "gauth-ACME_eve", "totp  SHA256     8       60      -        created"),
    row("3", longId, "totp  SHA1       6       30      -        created"),
    "6 of 6 accounts imported",
  ]);
  // Every URI went sealed whole, except the one too long for an RSA-2048 block.
  assert.deepEqual(
    bodies.map((b) => Object.keys(b).sort().join(",")),
    [
      ...Array(5).fill("encrypted_seed"),
      "account_name,algorithm,digits,encrypted_seed,issuer,period",
    ],
  );
  const expected: [string, string, Record<string, unknown>][] = [
    ["gauth-GitHub_octocat", `otpauth://totp/GitHub:octocat?secret=${base32(secretOf(1))}`, {}],
    [
      "gauth-bob@example.com",
      `otpauth://totp/bob?secret=${base32(secretOf(2, 32))}&algorithm=SHA256&digits=8`,
      {},
    ],
    [
      "gauth-Bank_carol",
      `otpauth://totp/Bank:carol?secret=${base32(secretOf(3, 64))}&algorithm=SHA512`,
      {},
    ],
    ["gauth-Old_dave", `otpauth://totp/Old:dave?secret=${base32(secretOf(4, 10))}`, {}],
    [
      "gauth-ACME_eve",
      `otpauth://totp/e?secret=${base32(secretOf(5))}&algorithm=SHA256&digits=8&period=60`,
      {},
    ],
    [longId, `otpauth://totp/f?secret=${base32(secretOf(6))}`, {
      issuer: longIssuer,
      account_name: "frank",
    }],
  ];
  for (const [id, uri, labels] of expected) {
    const totp = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
    assert.equal(await codeOf(t, id), totp.generate({ timestamp: NOW }), id);
    const meta = await (await t.call("GET", `/v1/subjects/${id}`, undefined, AS_ADMIN)).json();
    assert.deepEqual(
      [meta.algorithm, meta.digits, meta.period],
      [totp.algorithm, totp.digits, totp.period],
    );
    for (const [key, value] of Object.entries(labels)) assert.equal(meta[key], value);
  }
  const printed = io.outLines.join("\n");
  for (const n of [1, 2, 3, 4, 5, 6]) {
    for (const length of [10, 20, 32, 64]) {
      const secret = secretOf(n, length);
      assert.ok(!printed.includes(base32(secret)) && !printed.includes(secret.toHex()));
    }
  }
  assert.ok(!printed.includes(ADMIN));
});

Deno.test("import-uris: refused accounts, collisions and existing subjects are reported per line; exit 1", async () => {
  await using t = await createAppFixture({ now: NOW, security: { adminToken: ADMIN } });
  const { publicKey, deps } = await service(t);
  const secret = base32(secretOf(9));
  await Deno.writeTextFile(
    `${t.dir}/in.txt`,
    [
      `otpauth://totp/ACME:alice?secret=${secret}`,
      `otpauth://totp/ACME%20alice?secret=${secret}`,
      exportUri([
        { name: "md5", algorithm: 4, digits: 1, type: 2, secret: secretOf(1) },
        { name: "counter", algorithm: 1, digits: 1, type: 1, secret: secretOf(1), counter: 3 },
      ]),
      `otpauth://totp/taken?secret=${secret}`,
      "not a uri",
    ].join("\n"),
  );
  await t.call("PUT", "/v1/subjects/taken/seed", {
    encrypted_seed: await t.encrypt("ab".repeat(20)),
  }, AS_ADMIN);
  const before = await codeOf(t, "taken");
  const io = memoryIo({ ADMIN_TOKEN: ADMIN });
  const status = await main(
    [`${t.dir}/in.txt`, "--url", URL_, "--public-key", publicKey],
    io,
    deps,
  );
  assert.equal(status, 1);
  assert.deepEqual(io.outLines, [
    "LINE  ID          TYPE  ALGORITHM  DIGITS  PERIOD  COUNTER  RESULT",
    "1     ACME_alice  totp  SHA1       6       30      -        created",
    "2     -           totp  SHA1       6       30      -        Id collision: line 1 already has ACME_alice",
    "3.1   -           -     -          -       -       -        An MD5 account: RFC 6238 allows SHA1, SHA256 and SHA512 only",
    "3.2   counter     hotp  SHA1       6       -       3        created",
    "4     taken       totp  SHA1       6       30      -        Exists; left alone (use --replace)",
    "5     -           -     -          -       -       -        Not an otpauth:// URI or an otpauth-migration:// export",
    "2 of 6 accounts imported",
  ]);
  assert.deepEqual(io.errLines, [
    `Encrypting to key ${await opensslSpkiSha256(publicKey)} (${publicKey})`,
    "import-uris: 4 of 6 accounts not imported",
  ]);
  assert.equal(await codeOf(t, "taken"), before, "an existing subject is left alone");
  const replaced = memoryIo({ ADMIN_TOKEN: ADMIN });
  await Deno.writeTextFile(`${t.dir}/one.txt`, `otpauth://totp/taken?secret=${secret}\n`);
  assert.equal(
    await main(
      [`${t.dir}/one.txt`, "--url", URL_, "--public-key", publicKey, "--replace"],
      replaced,
      deps,
    ),
    0,
  );
  assert.equal(
    replaced.outLines[1],
    "1     taken  totp  SHA1       6       30      -        replaced",
  );
  assert.notEqual(await codeOf(t, "taken"), before);
});

Deno.test("import-uris --dry-run checks the file and sends nothing; needs neither --url nor ADMIN_TOKEN", async () => {
  await using t = await createAppFixture({ now: NOW, security: { adminToken: ADMIN } });
  const { deps, requests } = await service(t);
  await Deno.writeTextFile(`${t.dir}/in.txt`, `otpauth://totp/A:b?secret=${base32(secretOf(1))}\n`);
  const io = memoryIo();
  assert.equal(await main([`${t.dir}/in.txt`, "--dry-run"], io, deps), 0);
  assert.deepEqual(io.outLines, [
    "LINE  ID   TYPE  ALGORITHM  DIGITS  PERIOD  COUNTER  RESULT",
    "1     A_b  totp  SHA1       6       30      -        ok (dry run)",
    "1 of 1 accounts would be imported",
  ]);
  assert.deepEqual(requests, []);
});

Deno.test("import-uris: usage errors exit 2; the wrong key, a refused token and a dead service exit 1 with the reason", async () => {
  await using t = await createAppFixture({ now: NOW, security: { adminToken: ADMIN } });
  const { publicKey, deps } = await service(t);
  const file = `${t.dir}/in.txt`;
  await Deno.writeTextFile(file, `otpauth://totp/x?secret=${base32(secretOf(1))}\n`);
  const usage: [string[], Record<string, string>, string][] = [
    [[], { ADMIN_TOKEN: ADMIN }, "import-uris: FILE is required"],
    [[file], { ADMIN_TOKEN: ADMIN }, "import-uris: --url is required (or --dry-run)"],
    [[file, "--url", URL_], {}, "import-uris: Set ADMIN_TOKEN to the service's admin token"],
    [
      [file, "--url", "ftp://x"],
      { ADMIN_TOKEN: ADMIN },
      'import-uris: --url must be an http(s) URL (got "ftp://x")',
    ],
    [
      [file, "--dry-run", "--prefix", "a/b"],
      {},
      "import-uris: --prefix may hold only letters, digits and ._@- (at most 64, not starting with _)",
    ],
    [
      [file, "--dry-run", "--prefix", "_"],
      {},
      "import-uris: --prefix may hold only letters, digits and ._@- (at most 64, not starting with _)",
    ],
    [[file, file, "--dry-run"], {}, `import-uris: Unexpected argument "${file}"`],
  ];
  for (const [args, env, message] of usage) {
    const io = memoryIo(env);
    assert.equal(await main(args, io, deps), 2, message);
    assert.equal(io.errLines[0], message);
  }
  const dir = await Deno.makeTempDir();
  try {
    const other = await opensslKeyPair(dir);
    const cases: [string[], string, typeof globalThis.fetch, string][] = [
      [
        ["--public-key", other.publicPath],
        ADMIN,
        deps.fetch,
        "Failed: HTTP 500 Decryption failed (is --public-key the service's key?)",
      ],
      [
        ["--public-key", publicKey],
        "wrong-token-0123456789",
        deps.fetch,
        "Failed: HTTP 401 Unauthorized",
      ],
      [
        ["--public-key", publicKey],
        ADMIN,
        () => Promise.reject(new TypeError("connection refused")),
        `Failed: cannot reach ${URL_} (TypeError)`,
      ],
    ];
    for (const [extra, token, fetchFn, result] of cases) {
      const io = memoryIo({ ADMIN_TOKEN: token });
      assert.equal(
        await main([file, "--url", URL_ + "/", ...extra], io, { ...deps, fetch: fetchFn }),
        1,
      );
      assert.equal(io.outLines[1]!.replace(/^1 +x +totp +SHA1 +6 +30 +- +/, ""), result);
      assert.ok(!io.outLines.join("\n").includes(token));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const missing = memoryIo();
  assert.equal(await main([`${t.dir}/none.txt`, "--dry-run"], missing, deps), 1);
  assert.deepEqual(missing.errLines, [`import-uris: File "${t.dir}/none.txt" does not exist`]);
  await Deno.writeTextFile(`${t.dir}/empty.txt`, "# nothing\n\n");
  const empty = memoryIo();
  assert.equal(await main([`${t.dir}/empty.txt`, "--dry-run"], empty, deps), 1);
  assert.deepEqual(empty.errLines, [`import-uris: "${t.dir}/empty.txt" holds no otpauth URI`]);
});

Deno.test("import-uris waits out the service's rate limit (429 with Retry-After) and imports every account", async () => {
  await using t = await createAppFixture({
    now: NOW,
    security: { adminToken: ADMIN, rateLimitPerMinute: 6 },
  });
  const { publicKey, deps, sleeps } = await service(t);
  const lines = Array.from(
    { length: 8 },
    (_, i) => `otpauth://totp/ACME:user${i}?secret=${base32(secretOf(i))}`,
  );
  await Deno.writeTextFile(`${t.dir}/in.txt`, lines.join("\n"));
  const io = memoryIo({ ADMIN_TOKEN: ADMIN });
  assert.equal(
    await main([`${t.dir}/in.txt`, "--url", URL_, "--public-key", publicKey], io, deps),
    0,
  );
  assert.equal(io.outLines.at(-1), "8 of 8 accounts imported");
  // 16 requests at 6 a minute (a burst of 6, then one every 10 s): the tool waited each time.
  assert.ok(sleeps.length >= 5, `waited ${sleeps.length} times`);
  assert.ok(sleeps.every((ms) => ms === 10_000), JSON.stringify(sleeps));
  assert.equal(io.errLines[1], "Rate limited by the service; waiting 10 s");
  for (let i = 0; i < 8; i++) {
    t.clock.now += 10_000; // the checks are rate limited too
    assert.equal(
      (await t.call("GET", `/v1/subjects/ACME_user${i}`, undefined, AS_ADMIN)).status,
      200,
    );
  }
});

Deno.test("import-uris: otpauth://hotp URIs and HOTP export accounts become HOTP subjects with their exact counters", async () => {
  await using t = await createAppFixture({ now: NOW, security: { adminToken: ADMIN } });
  const { publicKey, deps, bodies } = await service(t);
  const rfc = Uint8Array.fromHex(RFC4226_SECRET_HEX);
  const big = 9007199254740993n; // 2^53 + 1: a JavaScript number would round it
  const file = `${t.dir}/hotp.txt`;
  await Deno.writeTextFile(
    file,
    [
      `otpauth://hotp/ACME:token?secret=${base32(rfc)}&issuer=ACME&counter=5`,
      exportUri([
        {
          name: "Bank:eve",
          issuer: "Bank",
          algorithm: 2,
          digits: 2,
          type: 1,
          counter: big,
          secret: rfc,
        },
      ]),
    ].join("\n"),
  );
  const io = memoryIo({ ADMIN_TOKEN: ADMIN });
  // Without --public-key: the key the service publishes at GET /v1/keys.
  assert.equal(await main([file, "--url", URL_], io, deps), 0);
  const kid = await opensslSpkiSha256(publicKey);
  assert.deepEqual(io.errLines, [`Encrypting to key ${kid} (GET ${URL_}/v1/keys)`]);
  assert.deepEqual(io.outLines, [
    "LINE  ID          TYPE  ALGORITHM  DIGITS  PERIOD  COUNTER           RESULT",
    "1     ACME_token  hotp  SHA1       6       -       5                 created",
    "2.1   Bank_eve    hotp  SHA256     8       -       9007199254740993  created",
    "2 of 2 accounts imported",
  ]);
  assert.deepEqual(
    bodies.map(({ encrypted_seed: _, ...rest }) => rest),
    [
      {
        algorithm: "SHA1",
        digits: 6,
        type: "hotp",
        counter: "5",
        account_name: "token",
        issuer: "ACME",
      },
      {
        algorithm: "SHA256",
        digits: 8,
        type: "hotp",
        counter: String(big),
        account_name: "eve",
        issuer: "Bank",
      },
    ],
  );
  const code = await t.call("GET", "/v1/subjects/ACME_token/code", undefined, AS_ADMIN);
  assert.equal(await code.text(), `{"code":"${RFC4226_CODES[5]}","counter":5}`);
  const expected = await hotp(await importHmacKey(rfc, { algorithm: "SHA-256" }), big, {
    digits: 8,
  });
  const eve = await t.call("GET", "/v1/subjects/Bank_eve/code", undefined, AS_ADMIN);
  assert.equal(await eve.text(), `{"code":"${expected}","counter":${big}}`);
  const verify = await t.call(
    "POST",
    "/v1/subjects/ACME_token/verify",
    { code: RFC4226_CODES[5] },
    AS_ADMIN,
  );
  assert.deepEqual([verify.status, await verify.json()], [200, { valid: true }]);
});
