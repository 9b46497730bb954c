/** docker-compose itself reads compose.yaml, with and without the ha profile. */
import assert from "node:assert/strict";
import { run } from "../../testing/command.ts";
import { PROJECT_ROOT } from "../../testing/server_process.ts";

Deno.test("docker-compose accepts compose.yaml, with and without the ha profile", async () => {
  for (const profile of [[], ["--profile", "ha"]]) {
    const result = await run("docker-compose", ["-f", "compose.yaml", ...profile, "config", "-q"], {
      cwd: PROJECT_ROOT,
    });
    assert.equal(result.code, 0, `${profile.join(" ")}: ${result.stderr}`);
  }
});
