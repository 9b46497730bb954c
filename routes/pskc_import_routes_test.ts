/**
 * POST /v1/import/pskc with RFC 6030 §6.3 files whose secrets openssl pkeyutl encrypted to
 * the service's key, for both OAEP variants, and the files it must refuse whole.
 */
import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import {
  encryptedSecret,
  keyContainer,
  keyPackage,
  opensslOaep,
  opensslRsaPkcs1,
  plainSecret,
  TOTP,
  XMLENC,
  XMLENC11,
} from "../testing/pskc_files.ts";
import { hotp, importHmacKey } from "../crypto/hotp.ts";
import { StateStoreUnavailableError } from "../store/state_store.ts";

const ADMIN = "v1-admin-token-0123456789";
const VERIFIER = "v1-verify-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const PSKC = { ...AS_ADMIN, "content-type": "application/pskc+xml" };
const MGF1P = `${XMLENC}rsa-oaep-mgf1p`;
const OAEP11 = `${XMLENC11}rsa-oaep`;
const SHA256_METHOD = `<ds:DigestMethod Algorithm="${XMLENC}sha256"/>` +
  `<xenc11:MGF Algorithm="${XMLENC11}mgf1sha256"/>`;

async function fixture() {
  const t = await createAppFixture({ security: { adminToken: ADMIN, verifyTokens: [VERIFIER] } });
  const publicPath = `${t.dir}/service_public.pem`;
  await Deno.writeTextFile(publicPath, t.keys.publicPem);
  return Object.assign(t, { publicPath });
}

const post = (
  t: { app: { request: (p: string, i: RequestInit) => Response | Promise<Response> } },
  body: string,
  query = "",
  headers: Record<string, string> = PSKC,
) =>
  Promise.resolve(t.app.request(`/v1/import/pskc${query}`, { method: "POST", headers, body }))
    .then(statusAndBody);

Deno.test("POST /v1/import/pskc imports openssl's rsa-oaep-mgf1p and rsa-oaep (SHA-256) files; the tokens verify", async () => {
  await using t = await fixture();
  const hotpSecret = crypto.getRandomValues(new Uint8Array(20));
  const totpSecret = crypto.getRandomValues(new Uint8Array(32));
  const file = keyContainer([
    keyPackage({
      id: "FT:0001",
      serialNo: "0000012",
      manufacturer: "Feitian",
      digits: "6",
      counter: "7",
      secretXml: encryptedSecret(MGF1P, await opensslOaep(t.publicPath, hotpSecret, "sha1")),
    }),
    keyPackage({
      id: "FT:0002",
      algorithm: TOTP,
      suite: "HMAC-SHA256",
      timeInterval: "60",
      digits: "8",
      secretXml: encryptedSecret(OAEP11, await opensslOaep(t.publicPath, totpSecret, "sha256"), {
        methodXml: SHA256_METHOD,
      }),
    }),
  ], { header: `<EncryptionKey><ds:X509Data/></EncryptionKey>` });
  assert.deepEqual(await post(t, file, "?prefix=lab."), {
    status: 201,
    body: { imported: ["lab.FT-0001", "lab.FT-0002"] },
  });
  const meta = await (await t.call("GET", "/v1/subjects/lab.FT-0001", undefined, AS_ADMIN)).json();
  assert.deepEqual(
    [meta.type, meta.counter, meta.digits, meta.serial_no, meta.manufacturer],
    ["hotp", 7, 6, "0000012", "Feitian"],
  );
  const key = await importHmacKey(hotpSecret);
  const verify = (id: string, code: string) =>
    t.call("POST", `/v1/subjects/${id}/verify`, { code }, AS_ADMIN).then(statusAndBody);
  assert.deepEqual(await verify("lab.FT-0001", await hotp(key, 8)), {
    status: 200,
    body: { valid: true },
  });
  const totp = await (await t.call("GET", "/v1/subjects/lab.FT-0002", undefined, AS_ADMIN)).json();
  assert.deepEqual([totp.type, totp.algorithm, totp.period, totp.digits], [
    "totp",
    "SHA256",
    60,
    8,
  ]);
  const totpKey = await importHmacKey(totpSecret, { algorithm: "SHA-256" });
  const step = Math.floor(t.clock.now / 60_000);
  assert.deepEqual(
    await verify("lab.FT-0002", await hotp(totpKey, step, { digits: 8 })),
    { status: 200, body: { valid: true } },
  );
});

Deno.test("POST /v1/import/pskc is all or nothing: one reason per bad package, nothing saved", async () => {
  await using t = await fixture();
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const good = await opensslOaep(t.publicPath, secret, "sha256");
  const file = keyContainer([
    keyPackage({
      id: "ok1",
      secretXml: encryptedSecret(OAEP11, good, { methodXml: SHA256_METHOD }),
    }),
    keyPackage({
      id: "v15",
      secretXml: encryptedSecret(`${XMLENC}rsa_1_5`, await opensslRsaPkcs1(t.publicPath, secret)),
    }),
    keyPackage({
      id: "mixed",
      secretXml: encryptedSecret(OAEP11, good, {
        methodXml: `<ds:DigestMethod Algorithm="${XMLENC}sha256"/>`,
      }),
    }),
    keyPackage({ id: "wrongkey", secretXml: encryptedSecret(MGF1P, good) }),
    keyPackage({
      id: "ocra",
      algorithm: "urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1:HOTP-SHA1-6:QN08",
      secretXml: encryptedSecret(MGF1P, good),
    }),
    keyPackage({
      id: "default",
      secretXml: encryptedSecret(OAEP11, good, { methodXml: SHA256_METHOD }),
    }),
  ]);
  assert.deepEqual(await post(t, file), {
    status: 400,
    body: {
      error: "5 of 6 key package(s) cannot be imported; nothing was imported",
      packages: [
        {
          index: 2,
          key_id: "v15",
          reason:
            "RSA PKCS#1 v1.5 (rsa_1_5) is refused: its decryption is a padding oracle; use rsa-oaep",
        },
        {
          index: 3,
          key_id: "mixed",
          reason:
            "RSA-OAEP with a SHA-256 digest and MGF1-SHA-1 is not supported (they must match)",
        },
        {
          index: 4,
          key_id: "wrongkey",
          reason: "The value does not decrypt with the service's key",
        },
        {
          index: 5,
          key_id: "ocra",
          reason: 'The algorithm "OCRA-1:HOTP-SHA1-6:QN08" is not supported (HOTP and TOTP only)',
        },
        { index: 6, key_id: "default", reason: 'The subject id "default" is reserved' },
      ],
    },
  });
  const list = await (await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)).json();
  assert.deepEqual(list.subjects, []);
  assert.equal(await t.seedFile(), null);
});

Deno.test("POST /v1/import/pskc refuses existing subjects unless replace=true", async () => {
  await using t = await fixture();
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const file = keyContainer([
    keyPackage({
      id: "t1",
      counter: "5",
      secretXml: encryptedSecret(MGF1P, await opensslOaep(t.publicPath, secret, "sha1")),
    }),
  ]);
  assert.equal((await post(t, file)).status, 201);
  assert.deepEqual(await post(t, file), {
    status: 400,
    body: {
      error: "1 of 1 key package(s) cannot be imported; nothing was imported",
      packages: [{
        index: 1,
        key_id: "t1",
        reason: 'The subject "t1" already exists (use ?replace=true)',
      }],
    },
  });
  assert.deepEqual(await post(t, file, "?replace=true"), {
    status: 201,
    body: { imported: ["t1"] },
  });
});

Deno.test("POST /v1/import/pskc abuse: other protections, content type, size, DOCTYPE, tokens, prefix", async () => {
  await using t = await fixture();
  const plain = keyContainer([keyPackage({ id: "p", secretXml: plainSecret(new Uint8Array(20)) })]);
  const only =
    "Only files whose secrets are encrypted to this service's key (RFC 6030 section 6.3) " +
    "are imported here; use deno task import-pskc for the others";
  assert.deepEqual(await post(t, plain), { status: 400, body: { error: only } });
  const figure6 = await Deno.readTextFile(
    new URL("../testing/fixtures/pskc/rfc6030_figure6.pskcxml", import.meta.url),
  );
  assert.deepEqual(await post(t, figure6), { status: 400, body: { error: only } });
  assert.deepEqual(await post(t, plain, "", { ...AS_ADMIN, "content-type": "application/json" }), {
    status: 415,
    body: { error: "Content-Type must be application/pskc+xml" },
  });
  assert.deepEqual(await post(t, `<a>${"x".repeat(1024 * 1024)}</a>`), {
    status: 413,
    body: { error: "The PSKC file is larger than 1 MB" },
  });
  assert.deepEqual(
    await post(t, `<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>`),
    {
      status: 400,
      body: { error: "The document has a DOCTYPE; it is refused" },
    },
  );
  assert.deepEqual(await post(t, keyContainer([], { version: "2.0" })), {
    status: 400,
    body: { error: 'The PSKC version "2.0" is not supported (only 1.0)' },
  });
  assert.deepEqual(await post(t, plain, "?prefix=a/b"), {
    status: 400,
    body: { error: "prefix may hold letters, digits and ._@- (at most 64)" },
  });
  assert.deepEqual(await post(t, plain, "?prefix=_index"), {
    status: 400,
    body: { error: "prefix must not start with _ (reserved for the service's own store keys)" },
  });
  assert.equal((await post(t, plain, "", { "content-type": "application/pskc+xml" })).status, 401);
  assert.deepEqual(
    await post(t, plain, "", {
      authorization: `Bearer ${VERIFIER}`,
      "content-type": "application/pskc+xml",
    }),
    { status: 403, body: { error: "Forbidden" } },
  );
  // Other routes keep the 64 KiB limit.
  const big = await t.call("PUT", "/v1/subjects/x/seed", "x".repeat(70_000), AS_ADMIN);
  assert.equal(big.status, 413);
});

Deno.test("POST /v1/import/pskc answers 400, not 500, for elements nested too deep", async () => {
  await using t = await fixture();
  // 100,000 levels: under the 1 MB limit, and before the fix a plain Error from the parser.
  const deep = keyContainer([]).replace(
    "</KeyContainer>",
    `${"<x>".repeat(100_000)}${"</x>".repeat(100_000)}</KeyContainer>`,
  );
  assert.deepEqual(await post(t, deep), {
    status: 400,
    body: { error: "The document nests elements more than 32 deep" },
  });
  assert.deepEqual(await statusAndBody(await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)), {
    status: 200,
    body: { subjects: [], next_cursor: null },
  });
});

Deno.test("POST /v1/import/pskc answers 400 at once to 20,000 namespace declarations on the root and 30,000 children", async () => {
  await using t = await fixture();
  let declarations = "";
  for (let i = 0; i < 20_000; i++) declarations += ` xmlns:p${i}="urn:n${i}"`;
  const file = keyContainer([]).replace("<KeyContainer ", `<KeyContainer${declarations} `)
    .replace("</KeyContainer>", `${"<a/>".repeat(30_000)}</KeyContainer>`);
  assert.deepEqual(await post(t, file), {
    status: 400,
    body: { error: "<KeyContainer> declares more than 64 namespaces" },
  });
  assert.deepEqual(await statusAndBody(await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)), {
    status: 200,
    body: { subjects: [], next_cursor: null },
  });
});

Deno.test("POST /v1/import/pskc answers 408 to a body that does not arrive within 10 s", async () => {
  await using t = await fixture();
  // A file whose first bytes arrive and whose rest never does (sent chunked: no length).
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('<?xml version="1.0"?><KeyContainer'));
    },
  });
  const started = performance.now();
  const response = await t.app.request("/v1/import/pskc", {
    method: "POST",
    headers: PSKC,
    body,
    duplex: "half",
  } as RequestInit);
  const ms = performance.now() - started;
  assert.deepEqual(await statusAndBody(response), {
    status: 408,
    body: { error: "Request body not received within 10 seconds" },
  });
  assert.equal(response.headers.get("connection"), "close");
  assert.ok(ms >= 9_900 && ms < 15_000, `answered after ${ms} ms`);
});

Deno.test("POST /v1/import/pskc refuses a plain secret smuggled in beside an encrypted one", async () => {
  await using t = await fixture();
  const file = keyContainer([
    keyPackage({
      id: "sealed",
      secretXml: encryptedSecret(
        MGF1P,
        await opensslOaep(t.publicPath, crypto.getRandomValues(new Uint8Array(20)), "sha1"),
      ),
    }),
    keyPackage({ id: "bare", secretXml: plainSecret(crypto.getRandomValues(new Uint8Array(20))) }),
  ]);
  assert.deepEqual(await post(t, file), {
    status: 400,
    body: {
      error: "1 of 2 key package(s) cannot be imported; nothing was imported",
      packages: [{
        index: 2,
        key_id: "bare",
        reason: "The secret is not encrypted to this service's key (RFC 6030 section 6.3)",
      }],
    },
  });
  assert.deepEqual(await statusAndBody(await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)), {
    status: 200,
    body: { subjects: [], next_cursor: null },
  });
});

Deno.test("POST /v1/import/pskc: a subject created meanwhile (another replica, the API) is 409; what the import wrote is rolled back", async () => {
  await using t = await fixture();
  const ids = ["c1", "c2", "c3"];
  const secrets = ids.map(() => crypto.getRandomValues(new Uint8Array(20)));
  const file = keyContainer(
    await Promise.all(ids.map(async (id, i) =>
      keyPackage({
        id,
        secretXml: encryptedSecret(MGF1P, await opensslOaep(t.publicPath, secrets[i]!, "sha1")),
      })
    )),
  );
  const theirs = crypto.getRandomValues(new Uint8Array(20));
  // The import's existence check reads "c3" last; right then, before the import writes
  // anything, another request creates c2 (as another replica's import, or a PUT, would).
  const store = t.stateStore;
  const getRecord = store.getRecord.bind(store);
  let raced = false;
  store.getRecord = (async (key: readonly string[]) => {
    const value = await getRecord(key);
    if (!raced && key[0] === "subject_records" && key[1] === "c3") {
      raced = true;
      const put = await t.call("PUT", "/v1/subjects/c2/seed", {
        encrypted_seed: await t.encrypt(theirs.toHex()),
      }, AS_ADMIN);
      assert.equal(put.status, 201);
    }
    return value;
  }) as typeof store.getRecord;
  assert.deepEqual(await post(t, file), {
    status: 409,
    body: {
      error: 'The subject "c2" was created by another request during this import; nothing was ' +
        "imported",
    },
  });
  // c1, written by the import, is gone again; c2 is the other request's; c3 was never written.
  const listed = await (await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)).json();
  assert.deepEqual(listed.subjects.map((s: { id: string }) => s.id), ["c2"]);
  const code = await hotp(await importHmacKey(theirs), Math.floor(t.clock.now / 30_000));
  assert.deepEqual(
    await t.call("POST", "/v1/subjects/c2/verify", { code }, AS_ADMIN).then(statusAndBody),
    { status: 200, body: { valid: true } },
  );
  assert.deepEqual(
    t.audit.events.filter((e) => e.subject === "c1").map((e) => [e.event, e.reason]),
    [["seed.set", "pskc"], ["subject.deleted", "pskc import rolled back"]],
  );
});

Deno.test("POST /v1/import/pskc runs one import at a time: another meanwhile is 429 and changes nothing", async () => {
  await using t = await fixture();
  const fileFor = async (id: string) =>
    keyContainer([keyPackage({
      id,
      secretXml: encryptedSecret(
        MGF1P,
        await opensslOaep(t.publicPath, crypto.getRandomValues(new Uint8Array(20)), "sha1"),
      ),
    })]);
  const [first, second] = [await fileFor("first"), await fileFor("second")];
  // The first file arrives slowly (chunked, its end held back): it holds the slot meanwhile.
  let finish = () => {};
  const slow = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first.slice(0, 100)));
      finish = () => {
        controller.enqueue(new TextEncoder().encode(first.slice(100)));
        controller.close();
      };
    },
  });
  const pending = Promise.resolve(t.app.request("/v1/import/pskc", {
    method: "POST",
    headers: PSKC,
    body: slow,
    duplex: "half",
  } as RequestInit)).then(statusAndBody);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const busy = await t.app.request("/v1/import/pskc", {
    method: "POST",
    headers: PSKC,
    body: second,
  });
  assert.equal(busy.headers.get("retry-after"), "5");
  assert.deepEqual(await statusAndBody(busy), {
    status: 429,
    body: { error: "Another PSKC import is running; retry when it has finished" },
  });
  finish();
  assert.deepEqual(await pending, { status: 201, body: { imported: ["first"] } });
  // Once it is done the slot is free again, and a refused import frees it too.
  assert.equal((await post(t, "<not xml")).status, 400);
  assert.deepEqual(await post(t, second), { status: 201, body: { imported: ["second"] } });
});

Deno.test("POST /v1/import/pskc: a Key Id too long for a subject id is that package's 400, not a 503 from the store", async () => {
  await using t = await fixture();
  const file = keyContainer([keyPackage({
    id: "k".repeat(5000),
    secretXml: encryptedSecret(
      MGF1P,
      await opensslOaep(t.publicPath, crypto.getRandomValues(new Uint8Array(20)), "sha1"),
    ),
  })]);
  assert.deepEqual(await post(t, file), {
    status: 400,
    body: {
      error: "1 of 1 key package(s) cannot be imported; nothing was imported",
      packages: [{
        index: 1,
        key_id: "k".repeat(5000),
        reason: "The subject id would be longer than 128 characters",
      }],
    },
  });
  // Before the fix the route looked the 5000-character id up, and the store's refusal was
  // reported (and logged) as the state store being down.
  assert.deepEqual(t.logger.lines.filter((line) => /State store unavailable/.test(line)), []);
});

Deno.test("POST /v1/import/pskc: a CipherValue that is not base64 is named, not called unencrypted", async () => {
  await using t = await fixture();
  const file = keyContainer([keyPackage({
    id: "garbled",
    secretXml: `<EncryptedValue><xenc:EncryptionMethod Algorithm="${MGF1P}"/>` +
      `<xenc:CipherData><xenc:CipherValue>!!!not base64</xenc:CipherValue></xenc:CipherData>` +
      `</EncryptedValue>`,
  })]);
  assert.deepEqual(await post(t, file), {
    status: 400,
    body: {
      error: "1 of 1 key package(s) cannot be imported; nothing was imported",
      packages: [{ index: 1, key_id: "garbled", reason: "The CipherValue is not valid base64" }],
    },
  });
});

Deno.test("POST /v1/import/pskc: a store that fails part-way leaves nothing, or says what stays written", async () => {
  await using t = await fixture();
  const ids = ["s1", "s2", "s3"];
  const file = keyContainer(
    await Promise.all(ids.map(async (id) =>
      keyPackage({
        id,
        secretXml: encryptedSecret(
          MGF1P,
          await opensslOaep(t.publicPath, crypto.getRandomValues(new Uint8Array(20)), "sha1"),
        ),
      })
    )),
  );
  const store = t.stateStore;
  const { setRecord, updateRecord, deleteRecord } = store;
  /** Redis goes down once `writes` subject records have been written. */
  const failAfter = (writes: number, deletesFail: boolean) => {
    let written = 0;
    const down = () => Promise.reject(new StateStoreUnavailableError());
    store.setRecord = ((key: readonly string[], ...rest: unknown[]) => {
      if (key[0] === "subject_records" && written++ >= writes) return down();
      return (setRecord as (...a: unknown[]) => unknown).call(store, key, ...rest);
    }) as typeof store.setRecord;
    store.updateRecord = ((key: readonly string[], ...rest: unknown[]) => {
      if (key[0] === "subject_records" && written++ >= writes) return down();
      return (updateRecord as (...a: unknown[]) => unknown).call(store, key, ...rest);
    }) as typeof store.updateRecord;
    store.deleteRecord =
      ((...args: unknown[]) =>
        deletesFail ? down() : (deleteRecord as (...a: unknown[]) => unknown).call(
          store,
          ...args,
        )) as typeof store.deleteRecord;
  };
  const heal = () => Object.assign(store, { setRecord, updateRecord, deleteRecord });
  const listed = async () =>
    (await (await t.call("GET", "/v1/subjects", undefined, AS_ADMIN)).json()).subjects.map((
      s: { id: string },
    ) => s.id);

  // Down after two writes, deletes still answered: the two are taken back.
  failAfter(2, false);
  assert.deepEqual(await post(t, file), {
    status: 503,
    body: { error: "State store unavailable" },
  });
  heal();
  assert.deepEqual(await listed(), []);

  // Down after two writes and for the deletes too: the answer names the two that stay.
  failAfter(2, true);
  const cut = {
    status: 503,
    body: {
      error: "The state store failed during the import: 2 of 3 subject(s) were written and " +
        "stay; send the file again with replace=true to finish",
      written: ["s1", "s2"],
    },
  };
  assert.deepEqual(await post(t, file), cut);
  heal();
  assert.deepEqual(await listed(), ["s1", "s2"]);

  // With replace=true nothing is taken back (the old records are gone); sending it again
  // once the store is back finishes the import.
  failAfter(2, false);
  assert.deepEqual(await post(t, file, "?replace=true"), cut);
  heal();
  assert.deepEqual(await post(t, file, "?replace=true"), {
    status: 201,
    body: { imported: ["s1", "s2", "s3"] },
  });
  assert.deepEqual(await listed(), ["s1", "s2", "s3"]);
});
