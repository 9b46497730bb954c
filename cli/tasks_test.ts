/** Every tool is wired as a deno task with permissions that let it start and print help. */
import assert from "node:assert/strict";
import { run } from "../testing/command.ts";
import { DENO, PROJECT_ROOT } from "../testing/server_process.ts";

const TOOL_TASKS = [
  "keygen",
  "request-seed",
  "issue-seed",
  "code",
  "proof",
  "import-uris",
  "import-pskc",
  "audit-verify",
  "rotate-key",
];
for (const task of TOOL_TASKS) {
  Deno.test(`deno task ${task} --help prints its usage and exits 0`, async () => {
    const result = await run(DENO, ["task", "-q", task, "--help"], {
      cwd: PROJECT_ROOT,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.startsWith(`Usage: deno task ${task}`), result.stdout);
  });
}

Deno.test("deno task proof runs git and signs the real HEAD with the fixture keys", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await run("openssl", [
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:2048",
      "-out",
      `${dir}/k.pem`,
    ]);
    const head = await run("git", ["rev-parse", "HEAD"], { cwd: PROJECT_ROOT });
    const result = await run(DENO, [
      "task",
      "-q",
      "proof",
      "--key",
      `${dir}/k.pem`,
      "--instructor",
      "testing/fixtures/instructor_8192_public.pem",
    ], { cwd: PROJECT_ROOT });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split("\n")[0], `Commit Hash: ${head.stdout.trim()}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
