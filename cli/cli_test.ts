import assert from "node:assert/strict";
import { terminalSafe } from "./cli.ts";

Deno.test("terminalSafe() escapes escape sequences, C1 and bidi controls; keeps text, tabs and newlines", () => {
  const cases: [string, string][] = [
    ["plain FT:0001 é €", "plain FT:0001 é €"],
    ["\x1b]0;pwned\x07title", "\\x1b]0;pwned\\x07title"],
    ["\x1b[2Jclear\rover", "\\x1b[2Jclear\\x0dover"],
    ["c1\u009b31m del\u007f nul\u0000", "c1\\x9b31m del\\x7f nul\\x00"],
    ["Bank\u202egnp.exe \u2066x\u2069", "Bank\\u202egnp.exe \\u2066x\\u2069"],
    ["Usage:\n\tline two", "Usage:\n\tline two"],
  ];
  for (const [line, expected] of cases) assert.equal(terminalSafe(line), expected, line);
});
