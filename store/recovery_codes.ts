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
   */
  async generate(subject: string): Promise<string[]> {
    const key = await this.#hmacKey();
    const codes = Array.from({ length: RECOVERY_CODES_PER_SET }, generateRecoveryCode);
    const digests = await Promise.all(codes.map((c) => recoveryCodeDigest(key, subject, c)));
    await this.#state.setRecoveryCodes(subject, digests);
    return codes.map(formatRecoveryCode);
  }

  /** How many unused codes `subject` has. */
  count(subject: string): Promise<number> {
    return this.#state.countRecoveryCodes(subject);
  }

  /** Removes every code of `subject` (when the subject goes). */
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
