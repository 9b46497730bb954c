import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";

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
