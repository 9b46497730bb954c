/**
 * Recovery codes of /v1 subjects: ten one-time codes per subject, shown once when made and
 * kept only as HMAC-SHA-256 digests (crypto/recovery_code.ts). The HMAC key is random, made
 * on first use and stored sealed under the data key like the subject seeds, so neither a
 * dump of the store nor a backup reveals a code or lets one be tested offline.
 *
 * Using a code shares the verification state of the subject's seed in force: a lock refuses
 * it, a wrong one counts as a failed verification, a right one resets the failure count
 * (store/recovery_rules.ts).
 *
 * @module
 */
import {
  formatRecoveryCode,
  generateRecoveryCode,
  importRecoveryKey,
  normalizeRecoveryCode,
  RECOVERY_CODES_PER_SET,
  recoveryCodeDigest,
} from "../crypto/recovery_code.ts";
import type { StateStore } from "./state_store.ts";
import { StateStoreUnavailableError } from "./state_store.ts";
import { RECOVERY_KEY_KEY } from "./state_keys.ts";
import { resolvePolicy, type SeedLookup, type VerifyPolicy } from "./verifier.ts";

/** Seals and opens a secret under the data key (SubjectStore's `sealOther`/`openOther`). */
export interface SecretSealer {
  sealOther(secret: Uint8Array<ArrayBuffer>, context: string): Promise<string>;
  openOther(sealed: string, context: string): Promise<Uint8Array<ArrayBuffer>>;
}

/** What a recovery-code attempt found. Only `valid` means yes. */
export type RecoveryOutcome =
  | { kind: "valid"; remaining: number }
  | { kind: "invalid" }
  | { kind: "malformed" }
  | { kind: "locked"; retryAfterMs: number };

/** Options for {@linkcode RecoveryCodes.use}. */
export interface UseRecoveryCodeOptions {
  subject: string;
  policy: VerifyPolicy;
  /** The clock, in milliseconds. */
  now: number;
}

/** The associated data of the sealed HMAC key; a space keeps it apart from subject ids. */
const KEY_CONTEXT = "pki-2fa recovery-code key";
/** Seed replacements in a row after which an attempt gives up. */
const MAX_RELOADS = 3;

/** Recovery codes over a {@linkcode StateStore}. */
export class RecoveryCodes {
  #state: StateStore;
  #sealer: SecretSealer;
  #key: Promise<CryptoKey> | null = null;

  constructor(state: StateStore, sealer: SecretSealer) {
    this.#state = state;
    this.#sealer = sealer;
  }

  /**
   * The HMAC key, made on first use. Replicas racing to make it agree on one: the write
   * succeeds only where none exists, and the losers read the winner's.
   */
  #hmacKey(): Promise<CryptoKey> {
    this.#key ??= this.#loadKey().catch((error) => {
      this.#key = null; // try again next time (the store may come back)
      throw error;
    });
    return this.#key;
  }

  async #loadKey(): Promise<CryptoKey> {
    let sealed = await this.#state.getRecord<string>(RECOVERY_KEY_KEY);
    if (sealed === null) {
      const raw = crypto.getRandomValues(new Uint8Array(32));
      const fresh = await this.#sealer.sealOther(raw, KEY_CONTEXT);
      raw.fill(0);
      await this.#state.setRecord(RECOVERY_KEY_KEY, fresh, { ifAbsent: true });
      sealed = await this.#state.getRecord<string>(RECOVERY_KEY_KEY);
    }
    const raw = await this.#sealer.openOther(sealed!, KEY_CONTEXT);
    try {
      return await importRecoveryKey(raw);
    } finally {
      raw.fill(0);
    }
  }

  /**
   * A new set of codes for `subject`, replacing every earlier one; returned formatted
   * (`XXXX-XXXX-XXXX`) and never stored.
   *
   * Codes are kept under the subject id, and a later subject of that id (another person)
   * must never inherit them. A delete that ran between an existence check and the write
   * would leave exactly that, so `incarnation` (the subject's `created_at`, `null` when it
   * does not exist) is read before and after the write: when it changed, the codes are
   * removed again and nothing is returned. {@linkcode deleteSubject} removes codes after the
   * record as well, so whichever of the two writes last, no code outlives its subject.
   *
   * @returns the codes, or `null` when the subject does not exist or went meanwhile
   */
  async generate(
    subject: string,
    incarnation: () => Promise<string | null>,
  ): Promise<string[] | null> {
    const before = await incarnation();
    if (before === null) return null;
    const key = await this.#hmacKey();
    const codes = Array.from({ length: RECOVERY_CODES_PER_SET }, generateRecoveryCode);
    const digests = await Promise.all(codes.map((c) => recoveryCodeDigest(key, subject, c)));
    await this.#state.setRecoveryCodes(subject, digests);
    if (await incarnation() !== before) {
      await this.delete(subject);
      return null;
    }
    return codes.map(formatRecoveryCode);
  }

  /** How many unused codes `subject` has. */
  count(subject: string): Promise<number> {
    return this.#state.countRecoveryCodes(subject);
  }

  /** Removes every code of `subject` (when the subject goes: see {@linkcode deleteSubject}). */
  delete(subject: string): Promise<void> {
    return this.#state.setRecoveryCodes(subject, []);
  }

  /**
   * Tries `text` as a recovery code of the subject whose seed `lookup` finds.
   *
   * @returns the outcome, or `null` when the subject has no seed
   * @throws {StateStoreUnavailableError} when the store does not answer
   */
  async use(
    text: string,
    lookup: SeedLookup,
    options: UseRecoveryCodeOptions,
  ): Promise<RecoveryOutcome | null> {
    const normalized = normalizeRecoveryCode(text);
    for (let reload = 0; reload <= MAX_RELOADS; reload++) {
      const found = await lookup(reload > 0);
      if (found === null) return null;
      // Malformed input never reaches the state: it cannot be a guess at a code.
      if (normalized === null) return { kind: "malformed" };
      const digest = await recoveryCodeDigest(await this.#hmacKey(), options.subject, normalized);
      const result = await this.#state.useRecoveryCode({
        subject: options.subject,
        seedId: found.seed.id,
        digest,
        now: options.now,
        policy: resolvePolicy(options.policy),
        guard: found.guard,
      });
      if (result.kind !== "stale" && result.kind !== "missing") return result;
    }
    throw new StateStoreUnavailableError({
      cause: new Error("The seed kept changing during the recovery-code attempt"),
    });
  }
}

/**
 * Deletes a subject with its recovery codes; `true` when it existed.
 *
 * The codes go first: if the store fails before the record goes, the subject is still there
 * and the delete can be retried, never gone with its codes left for the next subject of that
 * id. They go once more after the record: a {@linkcode RecoveryCodes.generate} that checked
 * the subject before this delete may have written a new set in between.
 */
export async function deleteSubject(
  stores: { subjects: { delete(id: string): Promise<boolean> }; recovery: RecoveryCodes },
  id: string,
): Promise<boolean> {
  await stores.recovery.delete(id);
  const existed = await stores.subjects.delete(id);
  await stores.recovery.delete(id);
  return existed;
}
