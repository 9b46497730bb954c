import assert from "node:assert/strict";
import { parsePythonVersions } from "./environment.ts";

Deno.test("parsePythonVersions() reads the JSON line the reference's python3 prints", () => {
  const stdout =
    '{"python": "3.11.2", "fastapi": "0.92.0", "uvicorn": "0.17.6", "pyotp": "2.6.0", "cryptography": "38.0.4"}\n';
  assert.deepEqual(parsePythonVersions(stdout), {
    python: "3.11.2",
    fastapi: "0.92.0",
    uvicorn: "0.17.6",
    pyotp: "2.6.0",
    cryptography: "38.0.4",
  });
  // A warning on stderr (joined after stdout) does not hide the line.
  assert.equal(
    parsePythonVersions(stdout + "DeprecationWarning: something\n").fastapi,
    "0.92.0",
  );
});

Deno.test("parsePythonVersions() refuses output that would leave a version empty", () => {
  // What the old one-liner produced: pyotp has no __version__, so python3 failed.
  assert.throws(
    () => parsePythonVersions(null),
    /^Error: No versions from \/usr\/bin\/python3: null$/,
  );
  assert.throws(
    () =>
      parsePythonVersions(
        "Traceback (most recent call last):\nAttributeError: module 'pyotp' has no attribute '__version__'\n",
      ),
    /No versions from \/usr\/bin\/python3/,
  );
  assert.throws(
    () =>
      parsePythonVersions(
        '{"python": "3.11.2", "fastapi": "", "uvicorn": "0.17.6", "pyotp": "2.6.0", "cryptography": "38.0.4"}',
      ),
    /^Error: No fastapi version from \/usr\/bin\/python3: /,
  );
});
