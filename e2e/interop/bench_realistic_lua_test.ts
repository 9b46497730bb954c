/**
 * bench/lua/realistic.lua under the real wrk, against a stub that accepts each
 * (subject, code) once: the script sends the codes precomputed for the wall-clock step,
 * counts the answers by body, and in the first-use phase sends each subject once.
 */
import assert from "node:assert/strict";
import { runWrkScript } from "../../bench/wrk.ts";
import { parseScriptCounts } from "../../bench/realistic_answers.ts";
import { codesFileText, precomputeCodes, stepsToCover } from "../../bench/realistic_codes.ts";
import { hotp, importHmacKey } from "../../crypto/hotp.ts";

async function withStub(
  count: number,
  run: (url: string, codesFile: string) => Promise<void>,
  check: (seen: Map<string, number>, wrong: number) => void,
): Promise<void> {
  const subjects = Array.from({ length: count }, (_, i) => ({
    id: `s-${i}`,
    secret: new Uint8Array(20).fill(i + 1),
  }));
  const keys = await Promise.all(subjects.map((s) => importHmacKey(s.secret)));
  const cover = stepsToCover({ now: Date.now(), seconds: 60 });
  const codesFile = await Deno.makeTempFile({ suffix: ".codes" });
  await Deno.writeTextFile(
    codesFile,
    codesFileText(subjects.map((s) => s.id), await precomputeCodes(subjects, cover), cover),
  );
  const seen = new Map<string, number>();
  let wrong = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/health") return Response.json({ status: "ok" });
    const index = Number(/^\/v1\/subjects\/s-(\d+)\/verify$/.exec(path)![1]);
    const { code } = await req.json();
    const step = Math.floor(Date.now() / 30_000);
    // As the service's window: the previous, current or next step.
    const steps = [step - 1, step, step + 1];
    const codes = await Promise.all(steps.map((s) => hotp(keys[index]!, s)));
    if (!codes.includes(code)) {
      wrong++;
      return Response.json({ error: "Too many attempts" }, { status: 429 });
    }
    const key = `${index}:${code}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    return new Response(seen.get(key) === 1 ? '{"valid":true}' : '{"valid":false}');
  });
  try {
    await run(`http://127.0.0.1:${server.addr.port}`, codesFile);
  } finally {
    await server.shutdown();
    await Deno.remove(codesFile);
  }
  check(seen, wrong);
}

Deno.test("realistic.lua first use: each subject's code once, every answer valid", async () => {
  let counts!: ReturnType<typeof parseScriptCounts>;
  await withStub(200, async (url, codesFile) => {
    const { stdout } = await runWrkScript({ url, connections: 4, seconds: 2 }, {
      script: "realistic.lua",
      env: { CODES_FILE: codesFile, MODE: "once", STEP_OFFSET: "-1" },
    });
    counts = parseScriptCounts(stdout);
  }, (seen, wrong) => {
    assert.equal(wrong, 0, "every code was right for its step");
    assert.deepEqual([...new Set(seen.values())], [1], "no code was sent twice");
    assert.equal(counts.answers.valid, seen.size, "every answer counted");
    assert.equal(counts.freshSent, 200);
    // wrk drops a generated request now and then, before sending it.
    assert.ok(seen.size >= 197, `${seen.size} of 200 subjects verified`);
  });
  assert.deepEqual(counts.answers, {
    valid: counts.answers.valid,
    rejected: 0,
    locked: 0,
    other: 0,
  });
  assert.equal(counts.outOfRange, 0);
  assert.equal(counts.maxStep - counts.minStep <= 1, true);
  assert.ok(counts.lastUs > counts.firstUs);
});

Deno.test("realistic.lua mix: the first code of a subject is accepted, the rest are replays", async () => {
  let counts!: ReturnType<typeof parseScriptCounts>;
  let requests = 0;
  await withStub(50, async (url, codesFile) => {
    const { result, stdout } = await runWrkScript({ url, connections: 4, seconds: 1 }, {
      script: "realistic.lua",
      env: { CODES_FILE: codesFile, MODE: "mix", STEP_OFFSET: "0" },
    });
    counts = parseScriptCounts(stdout);
    requests = result.requests;
  }, (seen, wrong) => {
    assert.equal(wrong, 0, "every code was right for its step");
    // Answers still in flight when wrk stops are not counted: at most one per connection.
    assert.ok(seen.size - counts.answers.valid <= 4, `${seen.size} vs ${counts.answers.valid}`);
    assert.ok(seen.size >= 50 && seen.size <= 100, `${seen.size} accepted (50 per step)`);
  });
  assert.equal(counts.answers.valid + counts.answers.rejected, requests);
  assert.equal(counts.answers.locked + counts.answers.other + counts.outOfRange, 0);
  assert.ok(counts.answers.rejected > counts.answers.valid, "50 subjects: mostly replays");
});
