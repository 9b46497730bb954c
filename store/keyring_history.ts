/**
 * Which service keys the service started with last time, kept in the state store, so that
 * a start with a different keyring is audited once: `key.rotated` when the active key
 * changed, `key.retired` for each key that is gone. Rotation and retirement are done by a
 * command-line tool while the service may be stopped, and by hand; the service sees the
 * outcome, whoever made it. Replicas sharing the store record it once: the record is
 * replaced by compare-and-set, and only the replica whose write lands reports the change.
 *
 * @module
 */
import type { AuditLog } from "../observability/audit.ts";
import type { Logger } from "../observability/logger.ts";
import type { StateStore } from "./state_store.ts";
import { KEYRING_KEY } from "./state_keys.ts";

/** The stored record. */
interface KeyringRecord {
  active: string;
  previous: string[];
  updated_at: string;
}

/** A change since the last start. */
export interface KeyringChange {
  /** The active key changed: the new kid and the one before. */
  rotated: { kid: string; previousKid: string } | null;
  /** Kids no longer in the keyring. */
  retired: string[];
}

/** Options for {@linkcode recordKeyring}. */
export interface RecordKeyringOptions {
  /** The active kid. */
  active: string;
  /** The earlier kids. */
  previous: readonly string[];
  now: number;
}

/**
 * Stores the keyring this process started with and returns what changed since the last
 * start; `null` when nothing did, on the first start, or when another replica already
 * recorded the same change.
 */
export async function recordKeyring(
  state: StateStore,
  options: RecordKeyringOptions,
): Promise<KeyringChange | null> {
  const next: KeyringRecord = {
    active: options.active,
    previous: [...options.previous].sort(),
    updated_at: new Date(options.now).toISOString(),
  };
  return await state.updateRecord<KeyringRecord, KeyringChange | null>(KEYRING_KEY, (current) => {
    if (current === null) return { value: next, result: null };
    const same = current.active === next.active &&
      current.previous.length === next.previous.length &&
      current.previous.every((kid, i) => kid === next.previous[i]);
    if (same) return { value: null, result: null };
    const now = new Set([next.active, ...next.previous]);
    const before = [current.active, ...current.previous];
    return {
      value: next,
      result: {
        rotated: current.active === next.active
          ? null
          : { kid: next.active, previousKid: current.active },
        retired: before.filter((kid) => !now.has(kid)),
      },
    };
  });
}

/** Options for {@linkcode auditKeyringChange}. */
export interface AuditKeyringChangeOptions extends RecordKeyringOptions {
  audit: AuditLog;
  logger: Logger;
}

/**
 * Records the keyring and audits `key.rotated` and `key.retired` for what changed since
 * the last start. A store that does not answer is logged and skipped: the events are then
 * recorded at the next start.
 */
export async function auditKeyringChange(
  state: StateStore,
  options: AuditKeyringChangeOptions,
): Promise<void> {
  let change: KeyringChange | null;
  try {
    change = await recordKeyring(state, options);
  } catch (error) {
    options.logger.warn("Could not record the keyring in the state store", {
      error: error instanceof Error ? error.name : "unknown",
    });
    return;
  }
  if (change === null) return;
  if (change.rotated !== null) options.audit.record("key.rotated", change.rotated);
  for (const kid of change.retired) options.audit.record("key.retired", { kid });
}
