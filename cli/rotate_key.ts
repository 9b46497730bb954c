/**
 * `deno task rotate-key [--dir KEYS_DIR]`: a new active RSA key pair; the current one moves
 * to `KEYS_DIR/previous/<kid>.pem` and stays usable for decryption until it is retired.
 * `deno task rotate-key --retire KID [--dir KEYS_DIR]`: deletes that earlier key, refusing
 * while anything is still wrapped to it (store/key_usage.ts). It reads the service's own
 * configuration (the environment and `.env`, as `deno task start` does) to find `DATA_DIR`
 * and the state store.
 *
 * @module
 */
import { join } from "node:path";
import { type Config, CONFIG_VARIABLES, ConfigError, loadConfig } from "../config.ts";
import { createLogger } from "../observability/logger.ts";
import { KEY_FILES, KeyFileError } from "../store/key_files.ts";
import { KID, loadPreviousKey, PREVIOUS_DIR, previousKeyPath } from "../store/keyring.ts";
import { deletePreviousKey, kidOfPrivateKeyFile, rotateServiceKey } from "../store/key_rotation.ts";
import { findUsesOfKey } from "../store/key_usage.ts";
import { KvStateStore } from "../store/kv_state_store.ts";
import { RedisStateStore } from "../store/redis_state_store.ts";
import type { StateStore } from "../store/state_store.ts";
import { MAX_IMPORTABLE_BITS } from "../crypto/rsa_keys.ts";
import { CliError, type CliIo, parseCli, processIo, runTool, UsageError } from "./cli.ts";

const HELP = `Usage: deno task rotate-key [--dir KEYS_DIR] [--bits 4096]
       deno task rotate-key --retire KID [--dir KEYS_DIR]

Rotates the service's RSA key: a new pair becomes ${KEY_FILES.private} and
${KEY_FILES.public}; the current private key moves to <dir>/${PREVIOUS_DIR}/<kid>.pem
(mode 0600), where the service still uses it to decrypt until it is retired. Prints the old
and the new kid (lower-case hex SHA-256 of the public key's SPKI DER). Restart the service
(every replica) afterwards: it then rewraps what it had wrapped to the old key.

With --retire KID, deletes <dir>/${PREVIOUS_DIR}/KID.pem, refusing (exit 1) while anything is
still wrapped to it: the /v1 data key in the state store, or DATA_DIR/seed.enc. It reads
DATA_DIR, STATE_STORE and REDIS_URL from the environment and .env, as the service does.

Options:
  --dir DIR      key folder (default: KEYS_DIR, else keys)
  --bits N       size of the new key, 2048 to ${MAX_IMPORTABLE_BITS} (default: 4096)
  --retire KID   delete the earlier key KID instead of rotating
  -h, --help     this text`;

/** Runs rotate-key with `args`; returns the exit status. */
export function main(args: string[], io: CliIo = processIo()): Promise<number> {
  return runTool("rotate-key", io, async () => {
    const { values } = parseCli(args, {
      dir: { type: "string" },
      bits: { type: "string" },
      retire: { type: "string" },
    });
    if (values.help) return io.out(HELP);
    let config: Config;
    try {
      config = loadConfig(Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, io.env(name)])));
    } catch (error) {
      if (error instanceof ConfigError) throw new CliError(error.message);
      throw error;
    }
    const dir = values.dir ?? config.keysDir;
    try {
      if (values.retire !== undefined) {
        if (values.bits !== undefined) throw new UsageError("--bits makes no sense with --retire");
        return await retire(values.retire, dir, config, io);
      }
      const bits = Number(values.bits ?? "4096");
      if (!Number.isInteger(bits) || bits < 2048 || bits > MAX_IMPORTABLE_BITS) {
        throw new UsageError(
          `--bits must be a whole number from 2048 to ${MAX_IMPORTABLE_BITS} (got "${values.bits}")`,
        );
      }
      io.err(`Generating a ${bits}-bit RSA key pair...`);
      const rotation = await rotateServiceKey(dir, { bits });
      io.out(`Previous key: ${rotation.previousKid} (now ${rotation.previousPath}, decrypt-only)`);
      io.out(`Active key:   ${rotation.activeKid}`);
      io.out(
        "Restart the service (every replica). Issuers can fetch the new public key from " +
          "GET /v1/keys; retire the old one once nothing uses it: " +
          `deno task rotate-key --retire ${rotation.previousKid}`,
      );
    } catch (error) {
      if (error instanceof KeyFileError) throw new CliError(error.message);
      throw error;
    }
  });
}

async function retire(kidText: string, dir: string, config: Config, io: CliIo): Promise<void> {
  const kid = kidText.toLowerCase();
  if (!KID.test(kid)) {
    throw new UsageError(`--retire takes a kid, 64 hex digits (got "${kidText}")`);
  }
  if (await kidOfPrivateKeyFile(join(dir, KEY_FILES.private)).catch(() => null) === kid) {
    throw new CliError(
      `${kid} is the active key; rotate first (deno task rotate-key), then retire it`,
    );
  }
  const path = previousKeyPath(dir, kid);
  if (!await exists(path)) {
    throw new CliError(`There is no earlier key ${kid} ("${path}" does not exist)`);
  }
  const key = await loadPreviousKey(path);
  if (key.kid !== kid) {
    throw new CliError(
      `"${path}" holds the key ${key.kid}, not ${kid}; rename it to ${key.kid}.pem`,
    );
  }
  if (!await exists(config.dataDir)) {
    // A wrong DATA_DIR would find nothing wrapped to the key and delete it: refuse instead.
    throw new CliError(
      `DATA_DIR "${config.dataDir}" does not exist, so what is wrapped to the key cannot be ` +
        "checked; run this with the service's DATA_DIR (and STATE_STORE, REDIS_URL) set as the " +
        "service has them",
    );
  }
  const state = await openStateStore(config);
  let uses;
  try {
    uses = await findUsesOfKey(key, { dataDir: config.dataDir, state });
  } finally {
    state?.close();
  }
  if (uses.length > 0) {
    throw new CliError(
      `Refusing to retire ${kid}: ` +
        uses.map((use) => `${use.what}; ${use.remedy}`).join(". Also, ") +
        ". Then run this again",
    );
  }
  await deletePreviousKey(dir, kid);
  io.out(`Retired ${kid} (deleted ${path}); ciphertexts for it no longer decrypt`);
  io.out("Restart the service (every replica) so it stops loading the key");
}

/** The service's state store, or `null` when a KV store was never created. */
async function openStateStore(config: Config): Promise<StateStore | null> {
  const logger = createLogger({ level: "error", write: () => {} });
  if (config.stateStore === "redis") {
    try {
      return await RedisStateStore.open(config.redisUrl!, { logger });
    } catch {
      throw new CliError(
        "Cannot reach the state store (STATE_STORE=redis, REDIS_URL) to check what is wrapped " +
          "to the key; nothing retired",
      );
    }
  }
  const file = join(config.dataDir, "state.kv");
  if (!await exists(file)) return null;
  try {
    return await KvStateStore.open(file);
  } catch (error) {
    throw new CliError(
      `Cannot open the state store "${file}" (DATA_DIR) to check what is wrapped to the key: ` +
        `${(error as Error).message}; nothing retired`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
