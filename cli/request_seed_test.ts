import assert from "node:assert/strict";
import { main } from "./request_seed.ts";
import { memoryIo } from "../testing/memory_io.ts";
import { opensslKeyPair } from "../testing/openssl.ts";

type Reply = { status: number; body: string } | "hang";

/** A stand-in issuer that answers from a script and records what it received. */
function fakeIssuer(replies: Reply[]) {
  const received: { method: string; contentType: string | null; body: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    received.push({
      method: request.method,
      contentType: request.headers.get("content-type"),
      body: await request.text(),
    });
    const reply = replies[Math.min(received.length - 1, replies.length - 1)]!;
    if (reply === "hang") await new Promise((resolve) => setTimeout(resolve, 1500));
    const { status, body } = reply === "hang" ? { status: 200, body: "{}" } : reply;
    return new Response(body, { status, headers: { "content-type": "application/json" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/generate-seed`,
    received,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

async function withKeys(fn: (dir: string, publicPath: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    const { publicPath } = await opensslKeyPair(dir);
    await fn(dir, publicPath);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const sleeps: number[] = [];
const deps = {
  fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
  sleep: (ms: number) => {
    sleeps.push(ms);
    return Promise.resolve();
  },
};

function success(bytes = 256) {
  const encrypted = crypto.getRandomValues(new Uint8Array(bytes)).toBase64();
  return {
    encrypted,
    reply: { status: 200, body: JSON.stringify({ status: "success", encrypted_seed: encrypted }) },
  };
}

function args(url: string, publicPath: string, dir: string, extra: string[] = []): string[] {
  return [
    "--student-id",
    "23A91A0501",
    "--repo",
    "https://github.com/someone/pki-2fa",
    "--api",
    url,
    "--public-key",
    publicPath,
    "--out",
    `${dir}/encrypted_seed.txt`,
    ...extra,
  ];
}

Deno.test("request-seed posts the exact JSON body and writes the encrypted seed", async () => {
  await withKeys(async (dir, publicPath) => {
    const { encrypted, reply } = success();
    await using issuer = fakeIssuer([reply]);
    const io = memoryIo();
    assert.equal(await main(args(issuer.url, publicPath, dir), io, deps), 0);
    const pem = await Deno.readTextFile(publicPath);
    assert.equal(issuer.received.length, 1);
    assert.equal(issuer.received[0]!.method, "POST");
    assert.equal(issuer.received[0]!.contentType, "application/json");
    assert.equal(
      issuer.received[0]!.body,
      JSON.stringify({
        student_id: "23A91A0501",
        github_repo_url: "https://github.com/someone/pki-2fa",
        public_key: pem,
      }),
    );
    // Real newlines in the PEM, escaped as \n on the wire.
    assert.ok(issuer.received[0]!.body.includes("-----BEGIN PUBLIC KEY-----\\nMII"));
    assert.equal(await Deno.readTextFile(`${dir}/encrypted_seed.txt`), encrypted + "\n");
    assert.deepEqual(io.outLines, [`Encrypted seed written to ${dir}/encrypted_seed.txt`]);
    assert.deepEqual(io.errLines, []);
  });
});

Deno.test("request-seed retries a 500 with backoff, then succeeds", async () => {
  await withKeys(async (dir, publicPath) => {
    const { encrypted, reply } = success();
    await using issuer = fakeIssuer([{ status: 500, body: '{"error":"busy"}' }, {
      status: 503,
      body: "",
    }, reply]);
    sleeps.length = 0;
    const io = memoryIo();
    assert.equal(
      await main(args(issuer.url, publicPath, dir, ["--retry-delay", "0.5"]), io, deps),
      0,
    );
    assert.equal(issuer.received.length, 3);
    assert.deepEqual(sleeps, [500, 1000]);
    assert.deepEqual(io.errLines, [
      "The issuer answered HTTP 500: busy; retrying in 0.5 s (1/3)",
      "The issuer answered HTTP 503; retrying in 1 s (2/3)",
    ]);
    assert.equal(await Deno.readTextFile(`${dir}/encrypted_seed.txt`), encrypted + "\n");
  });
});

Deno.test("request-seed does not retry a 400 and reports the issuer's message", async () => {
  await withKeys(async (dir, publicPath) => {
    await using issuer = fakeIssuer([{ status: 400, body: '{"error":"Invalid student_id"}' }]);
    const io = memoryIo();
    assert.equal(await main(args(issuer.url, publicPath, dir), io, deps), 1);
    assert.equal(issuer.received.length, 1);
    assert.deepEqual(io.errLines, [
      "request-seed: The issuer refused the request (HTTP 400): Invalid student_id",
    ]);
    await assert.rejects(() => Deno.stat(`${dir}/encrypted_seed.txt`), Deno.errors.NotFound);
  });
});

Deno.test("request-seed explains non-JSON, status error, a missing field and a wrong block size", async () => {
  await withKeys(async (dir, publicPath) => {
    const cases: [{ status: number; body: string }, string][] = [
      [
        { status: 200, body: "<html>Bad gateway</html>" },
        "The issuer's answer is not JSON (HTTP 200): <html>Bad gateway</html>",
      ],
      [
        { status: 200, body: '{"status":"error","message":"Student not found"}' },
        'The issuer answered status "error": Student not found',
      ],
      [
        { status: 200, body: '{"status":"success"}' },
        'The issuer\'s answer has no "encrypted_seed" string',
      ],
      [
        { status: 200, body: '{"status":"success","encrypted_seed":"%%%"}' },
        'The issuer\'s "encrypted_seed" is not base64',
      ],
      [
        {
          status: 200,
          body: JSON.stringify({
            status: "success",
            encrypted_seed: new Uint8Array(512).toBase64(),
          }),
        },
        'The issuer\'s "encrypted_seed" is 512 bytes, not one RSA block of the 2048-bit key (256 bytes): was it encrypted to another key?',
      ],
    ];
    for (const [reply, message] of cases) {
      await using issuer = fakeIssuer([reply]);
      const io = memoryIo();
      assert.equal(await main(args(issuer.url, publicPath, dir), io, deps), 1, message);
      assert.deepEqual(io.errLines, [`request-seed: ${message}`]);
      assert.equal(issuer.received.length, 1);
    }
  });
});

Deno.test("request-seed gives up on an issuer that hangs past the timeout", async () => {
  await withKeys(async (dir, publicPath) => {
    await using issuer = fakeIssuer(["hang"]);
    const io = memoryIo();
    const code = await main(
      args(issuer.url, publicPath, dir, ["--timeout", "0.2", "--retries", "1"]),
      io,
      deps,
    );
    assert.equal(code, 1);
    assert.equal(issuer.received.length, 2);
    assert.deepEqual(io.errLines, [
      "The issuer did not answer within 0.2 s; retrying in 1 s (1/1)",
      "request-seed: The issuer did not answer within 0.2 s",
    ]);
  });
});

Deno.test("request-seed reads INSTRUCTOR_API_URL, warns on .git, and requires its options", async () => {
  await withKeys(async (dir, publicPath) => {
    const { reply } = success();
    await using issuer = fakeIssuer([reply]);
    const io = memoryIo({ INSTRUCTOR_API_URL: issuer.url });
    const code = await main(
      [
        "--student-id",
        "s1",
        "--repo",
        "https://github.com/a/b.git",
        "--public-key",
        publicPath,
        "--out",
        `${dir}/o.txt`,
      ],
      io,
      deps,
    );
    assert.equal(code, 0);
    assert.match(
      io.errLines[0]!,
      /^warning: the repo URL ends in "\.git"; the issuer compares it verbatim/,
    );
    assert.equal(
      JSON.parse(issuer.received[0]!.body).github_repo_url,
      "https://github.com/a/b.git",
    );

    const missing = memoryIo();
    assert.equal(await main(["--student-id", "s1", "--repo", "r"], missing, deps), 2);
    assert.equal(
      missing.errLines[0],
      "request-seed: --api or the INSTRUCTOR_API_URL variable is required",
    );
  });
});

Deno.test("request-seed reports an unreachable issuer after its retries", async () => {
  await withKeys(async (dir, publicPath) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    const io = memoryIo();
    const code = await main(
      args(`http://127.0.0.1:${port}/`, publicPath, dir, ["--retries", "2"]),
      io,
      deps,
    );
    assert.equal(code, 1);
    assert.equal(io.errLines.length, 3);
    assert.match(
      io.errLines[2]!,
      new RegExp(`^request-seed: Could not reach the issuer at http://127.0.0.1:${port}/: `),
    );
  });
});
