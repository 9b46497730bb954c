import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { writable } from "./health_routes.ts";

Deno.test("GET /ready: 200 with every check ok, reporting the seed without needing it", async () => {
  await using t = await createAppFixture();
  const ready = {
    status: "ready",
    checks: {
      private_key: "ok",
      data_dir: "ok",
      cron_dir: "ok",
      state_store: "ok",
      subject_store: "ok",
      audit_log: "ok",
      seed: "absent",
    },
  };
  assert.deepEqual(await statusAndBody(await t.call("GET", "/ready")), {
    status: 200,
    body: ready,
  });
  await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt("ab".repeat(32)) });
  assert.deepEqual(await statusAndBody(await t.call("GET", "/ready")), {
    status: 200,
    body: { ...ready, checks: { ...ready.checks, seed: "loaded" } },
  });
  // The probe leaves no files behind.
  assert.deepEqual(
    [...Deno.readDirSync(t.dataDir)].map((e) => e.name).filter((n) => n.startsWith(".ready")),
    [],
  );
});

Deno.test("GET /ready: 503 naming the failing checks", async () => {
  await using t = await createAppFixture();
  // The cron folder cannot be created where a file stands; the state store is closed.
  await Deno.writeTextFile(`${t.dir}/cron`, "");
  t.stateStore.close();
  assert.deepEqual(await statusAndBody(await t.call("GET", "/ready")), {
    status: 503,
    body: {
      status: "not ready",
      checks: {
        private_key: "ok",
        data_dir: "ok",
        cron_dir: "error",
        state_store: "error",
        subject_store: "error",
        audit_log: "ok",
        seed: "absent",
      },
    },
  });
  // Disposal closes the store again; give it a fresh one.
  t.stateStore = await (await import("../store/kv_state_store.ts")).KvStateStore.open(":memory:");
});

Deno.test("GET /ready creates a missing CRON_DIR owner-only (0700)", async () => {
  await using t = await createAppFixture();
  const cronDir = `${t.dir}/cron`;
  await Deno.remove(cronDir, { recursive: true }).catch(() => {});
  const response = await (await t.call("GET", "/ready")).json();
  assert.equal(response.checks.cron_dir, "ok");
  assert.equal((await Deno.stat(cronDir)).mode! & 0o777, 0o700);
  assert.deepEqual([...Deno.readDirSync(cronDir)], []);
});

Deno.test("the /ready folder probe needs room: a disk where only empty files fit is not writable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const written: number[] = [];
    // A full disk: creating an empty file needs no block, writing any byte fails.
    const fullDisk = async (path: string, data: Uint8Array, options: Deno.WriteFileOptions) => {
      written.push(data.length);
      if (data.length > 0) throw new Error("No space left on device (os error 28)");
      await Deno.writeFile(path, data, options);
    };
    assert.equal(await writable(dir, { writeFile: fullDisk }), false);
    assert.deepEqual(written, [512]);
    assert.equal(await writable(dir), true);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
