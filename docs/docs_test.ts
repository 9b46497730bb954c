/**
 * The documentation stays usable: a short README with every task, `deno task` commands that
 * exist, relative links (and their #anchors) that lead somewhere, and no path that leads
 * out of the repository.
 */
import assert from "node:assert/strict";
import { run } from "../testing/command.ts";
import { PROJECT_ROOT } from "../testing/server_process.ts";

const denoJson = JSON.parse(await Deno.readTextFile(`${PROJECT_ROOT}/deno.json`));
const TASKS = new Set(Object.keys(denoJson.tasks));

/** Every file git tracks, relative to the root. */
async function trackedFiles(): Promise<string[]> {
  const result = await run("git", ["ls-files", "-z"], { cwd: PROJECT_ROOT });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.split("\0").filter((name) => name !== "");
}

const markdownFiles = (await trackedFiles()).filter((name) => name.endsWith(".md"));
const pages = new Map<string, string>();
for (const name of markdownFiles) {
  pages.set(name, await Deno.readTextFile(`${PROJECT_ROOT}/${name}`));
}

/** The page without fenced code blocks and inline code: what Markdown renders as prose. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading.replaceAll("`", "").toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "")
    .replaceAll(" ", "-");
}

function anchors(text: string): Set<string> {
  const found = text.replace(/^```[\s\S]*?^```$/gm, "").matchAll(/^#{1,6} (.+)$/gm);
  return new Set([...found].map((m) => headingAnchor(m[1]!.trim())));
}

/** Resolves `target` relative to the folder of `page` (both relative to the root). */
function resolve(page: string, target: string): string {
  const parts = page.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

Deno.test("README.md is at most 150 lines and its tasks table lists every task", () => {
  const readme = pages.get("README.md")!;
  const lines = readme.split("\n").length - (readme.endsWith("\n") ? 1 : 0);
  assert.ok(lines <= 150, `README.md has ${lines} lines; move detail into docs/`);
  const rows = [...readme.matchAll(/^\| `deno task ([\w:-]+)`/gm)].map((m) => m[1]);
  assert.deepEqual(rows.toSorted(), [...TASKS].sort());
});

Deno.test("every `deno task X` in the documentation is a task of deno.json", () => {
  const unknown: string[] = [];
  for (const [name, text] of pages) {
    for (const match of text.matchAll(/deno task (?:-q )?([a-z][\w:-]*)/g)) {
      if (!TASKS.has(match[1]!)) unknown.push(`${name}: deno task ${match[1]}`);
    }
  }
  assert.deepEqual(unknown, []);
});

Deno.test("every relative link in the documentation leads to a file and heading that exist", async () => {
  const broken: string[] = [];
  let checked = 0;
  for (const [name, text] of pages) {
    for (const match of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (/^[a-z]+:/i.test(target)) continue;
      checked++;
      const [file, anchor] = target.split("#") as [string, string | undefined];
      const path = file === "" ? name : resolve(name, file);
      try {
        await Deno.stat(`${PROJECT_ROOT}/${path}`);
      } catch {
        broken.push(`${name}: ${target} (no ${path})`);
        continue;
      }
      if (anchor !== undefined && path.endsWith(".md")) {
        const targetText = pages.get(path) ?? await Deno.readTextFile(`${PROJECT_ROOT}/${path}`);
        if (!anchors(targetText).has(anchor)) broken.push(`${name}: ${target} (no heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked > 30, `only ${checked} links found: is the pattern still right?`);
});

Deno.test("headingAnchor() makes GitHub's anchors", () => {
  assert.equal(
    headingAnchor("The reference: /openapi.json and /docs"),
    "the-reference-openapijson-and-docs",
  );
  assert.equal(headingAnchor("How hard is guessing?"), "how-hard-is-guessing");
  assert.equal(headingAnchor("1. Your key pair"), "1-your-key-pair");
  assert.equal(headingAnchor("The `default` subject"), "the-default-subject");
});

Deno.test("nothing in the repository points into a folder outside it", async () => {
  const outside = ["..", "shared"].join("/");
  const hits: string[] = [];
  for (const name of await trackedFiles()) {
    const bytes = await Deno.readFile(`${PROJECT_ROOT}/${name}`);
    if (new TextDecoder().decode(bytes).includes(outside)) hits.push(name);
  }
  assert.deepEqual(hits, []);
});
