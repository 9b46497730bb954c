import assert from "node:assert/strict";
import { freePort, startServer } from "./server_process.ts";

Deno.test("startServer does not take another process's listener for its own service", async () => {
  // Another process answers /health 200 on the port the service is told to use: the
  // service cannot bind it, and startServer must say so instead of returning the impostor.
  const impostor = Deno.serve(
    { hostname: "127.0.0.1", port: freePort(), onListen: () => {} },
    () => new Response("ok"),
  );
  try {
    const port = String((impostor.addr as Deno.NetAddr).port);
    await assert.rejects(startServer({ PORT: port }), (error: Error) => {
      assert.match(error.message, /did not become healthy/);
      assert.match(error.message, new RegExp(`PORT ${port} on 127\\.0\\.0\\.1 is already in use`));
      return true;
    });
  } finally {
    await impostor.shutdown();
  }
});
