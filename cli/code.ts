/**
 * `deno task code [--data-dir ./data]`: the current code and seconds left, offline,
 * from the stored seed and the same TOTP code as the service.
 *
 * @module
 */
import { join } from "node:path";
import { generateTotp } from "../crypto/totp.ts";
import { loadSeedFile } from "../store/seed_store.ts";
import { SEED_FILE } from "../store/seed_files.ts";
import { CliError, type CliIo, parseCli, processIo, runTool } from "./cli.ts";

const HELP = `Usage: deno task code [--data-dir ./data]

Prints the current TOTP code of the stored seed (DATA_DIR/${SEED_FILE}) and how many
seconds it stays valid, without the service running.

Options:
  --data-dir DIR  folder of ${SEED_FILE} (default: ./data)
  -h, --help      this text`;

/** Runs code with `args`; returns the exit status. */
export function main(
  args: string[],
  io: CliIo = processIo(),
  now: () => number = Date.now,
): Promise<number> {
  return runTool("code", io, async () => {
    const { values } = parseCli(args, { "data-dir": { type: "string" } });
    if (values.help) return io.out(HELP);
    const path = join(values["data-dir"] ?? "./data", SEED_FILE);
    const seed = await loadSeedFile(path);
    if (seed === null) {
      throw new CliError(`No usable seed in "${path}": post one to /decrypt-seed first`);
    }
    const { code, validFor } = await generateTotp(seed.codeAt, { now: now() });
    io.out(`${code} (valid for ${validFor} s)`);
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
