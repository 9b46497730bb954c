import assert from "node:assert/strict";
import { type CpuProfile, packageOf, summarizeProfile } from "./profile_summary.ts";

const NPM = "file:///root/.cache/deno/npm/registry.npmjs.org";

Deno.test("packageOf() names npm packages, Deno's runtime, V8 and the project's files", () => {
  const cases: [string, string, string][] = [
    [`${NPM}/hono/4.13.19/dist/hono-base.js`, "dispatch", "npm:hono"],
    [`${NPM}/@hono/zod-openapi/1.6.3/dist/index.js`, "x", "npm:@hono/zod-openapi"],
    ["ext:deno_http/00_serve.ts", "fastSyncResponseOrStream", "ext:deno_http"],
    ["node:crypto", "createHmac", "node:crypto"],
    [
      "file:///work/main/middleware/request_frame.ts",
      "requestFrame",
      "middleware/request_frame.ts",
    ],
    ["file:///work/main/app.ts", "createApp", "app.ts"],
    ["", "(garbage collector)", "(garbage collector)"],
    ["", "stringify", "(native)"],
  ];
  for (const [url, name, expected] of cases) assert.equal(packageOf(url, name), expected, url);
});

Deno.test("summarizeProfile() ranks self time over busy samples, idle left out", () => {
  const node = (id: number, functionName: string, url: string, hitCount?: number) => ({
    id,
    callFrame: { functionName, url, lineNumber: 9 },
    ...(hitCount === undefined ? {} : { hitCount }),
  });
  const profile: CpuProfile = {
    nodes: [
      node(1, "(root)", ""),
      node(2, "(idle)", "", 1000),
      node(3, "dispatch", `${NPM}/hono/4.13.19/dist/hono-base.js`, 30),
      node(4, "dispatch", `${NPM}/hono/4.13.19/dist/hono-base.js`, 10),
      node(5, "", "file:///work/main/middleware/request_frame.ts", 50),
      node(6, "(garbage collector)", "", 10),
      node(7, "rare", "file:///work/main/app.ts", 0),
    ],
  };
  assert.equal(
    summarizeProfile(profile, { top: 2 }),
    [
      "busy samples: 100",
      "",
      "self time by function:",
      "   50.0%  (anonymous) request_frame.ts:10",
      "   40.0%  dispatch hono-base.js:10",
      "",
      "self time by package or file:",
      "   50.0%  middleware/request_frame.ts",
      "   40.0%  npm:hono",
      "   10.0%  (garbage collector)",
    ].join("\n"),
  );
});
