/**
 * The admin console on two real replicas sharing a real redis-server: a session begun on
 * one works on the other (sessions live in the store, not in a process), a form posted to
 * one changes what the other shows, and signing out on one ends the session on both.
 */
import assert from "node:assert/strict";
import { redisUrl } from "../../testing/redis.ts";
import { callReplica, REPLICA_ADMIN_TOKEN, startReplicaSet } from "../../testing/replica_set.ts";
import { withTempDir } from "../../testing/temp_dir.ts";
import { opensslEncrypt } from "../../testing/openssl.ts";
import { ConsoleClient, noticeOf, tableRows, textOf } from "../../testing/console_client.ts";

Deno.test("console sessions on two replicas sharing Redis: sign in on one, work on both, sign out on one ends both", async () => {
  await withTempDir(async (dir) => {
    const set = await startReplicaSet({ dir, redisUrl: `${await redisUrl()}/10` });
    try {
      const [a, b] = set.replicas as [typeof set.replicas[0], typeof set.replicas[0]];
      const onA = new ConsoleClient(a.url);
      await onA.signIn(REPLICA_ADMIN_TOKEN);
      // The same browser cookie, presented to the other replica.
      const onB = new ConsoleClient(b.url);
      for (const [name, cookie] of onA.cookies) onB.cookies.set(name, cookie);
      const service = await onB.get("/admin/service");
      assert.equal(service.status, 200);
      assert.match(textOf(service.html), /Kind Redis \(shared by replicas\) Answering yes/);

      await onB.get("/admin/enrol");
      const enrolled = await onB.post("/admin/enrol", {
        subject: "alice",
        issuer: "ACME",
        account_name: "alice@example.com",
      });
      assert.equal(enrolled.status, 303);
      const list = await onA.get("/admin/subjects");
      assert.match(tableRows(list.html)[0]!, /^alice unconfirmed TOTP/);

      // Locked through B's API, unlocked from A's page, seen unlocked on B.
      await (await callReplica(b, "PUT", "/v1/subjects/bob/seed", {
        encrypted_seed: await opensslEncrypt(
          set.publicKeyPath,
          "3132333435363738393031323334353637383930",
        ),
      })).body?.cancel();
      for (let i = 0; i < 6; i++) {
        await (await callReplica(b, "POST", "/v1/subjects/bob/verify", { code: "000000" })).body
          ?.cancel();
      }
      assert.match(textOf((await onB.get("/admin/subjects/bob")).html), /Failed attempts 5/);
      await onA.get("/admin/subjects/bob");
      const unlocked = await onA.post("/admin/subjects/bob/unlock");
      assert.equal(unlocked.headers.get("location"), "/admin/subjects/bob?done=unlocked");
      const seen = await onB.get("/admin/subjects/bob?done=unlocked");
      assert.equal(noticeOf(seen.html), "Unlocked: the failure count and the lock are cleared.");
      assert.match(textOf(seen.html), /Failed attempts 0 Locked until — none/);

      await onB.get("/admin/subjects");
      assert.equal((await onB.post("/admin/sign-out")).status, 303);
      const ended = await onA.get("/admin/subjects");
      assert.equal(ended.status, 303);
      assert.equal(ended.headers.get("location"), "/admin/sign-in?done=ended");
    } finally {
      await set.stop();
    }
  });
});
