/**
 * Subjects of the /v1 API: one TOTP credential per user of an application. A record holds
 * the parameters and the seed sealed with AES-256-GCM under the data key (crypto/envelope.ts),
 * bound to the subject id; the decrypted seed lives only in this process's memory.
 *
 * @module
 */
import { createWrappedDataKey, openSecret, sealSecret, unwrapDataKey } from "../crypto/envelope.ts";
import { HASH_OF, type OtpAlgorithm } from "../crypto/otp_algorithm.ts";
import { type Seed, seedFromBytes } from "./seed_store.ts";
import type { StateStore } from "./state_store.ts";
import type { RecordGuard, VerificationState } from "./verification_rules.ts";
import { DATA_KEY_KEY, SUBJECT_RECORDS_PREFIX, subjectRecordKey } from "./state_keys.ts";

/** A subject's OTP parameters and labels. */
export interface SubjectParams {
  algorithm: OtpAlgorithm;
  digits: 6 | 8;
  period: number;
  issuer: string | null;
  account_name: string | null;
  /** Time-based (RFC 6238) or counter-based (RFC 4226); records without it are `totp`. */
  type?: SubjectType;
  /**
   * HOTP: the counter the seed was set with, in decimal (exact up to 2^64 - 1); the
   * counter in force is in the verification state.
   */
  counter?: string;
  /** The hardware token's serial number (PSKC `DeviceInfo/SerialNo`), kept as text. */
  serial_no?: string | null;
  /** The hardware token's maker (PSKC `DeviceInfo/Manufacturer`). */
  manufacturer?: string | null;
}

/** `totp` (RFC 6238) or `hotp` (RFC 4226). */
export type SubjectType = "totp" | "hotp";

/** A stored subject. `sealed_seed` never leaves the service. */
export interface SubjectRecord extends SubjectParams {
  id: string;
  created_at: string;
  updated_at: string;
  sealed_seed: string;
}

/** What the API shows of a subject: never the seed. */
export interface SubjectMetadata extends Omit<SubjectParams, "counter"> {
  id: string;
  type: SubjectType;
  /** HOTP: the next counter value a code is expected for; `null` for TOTP. */
  counter: bigint | null;
  serial_no: string | null;
  manufacturer: string | null;
  /** `null` for the default subject, whose seed lives in the seed file. */
  created_at: string | null;
  updated_at: string | null;
  last_accepted_step: number | null;
  locked: boolean;
  locked_until: string | null;
}

/** The metadata of a record, with its verification state at `now`. */
export function subjectMetadata(
  record: SubjectParams & {
    id: string;
    created_at: string | null;
    updated_at: string | null;
    sealed_seed?: string;
  },
  state: VerificationState | null,
  now: number,
): SubjectMetadata {
  const { sealed_seed: _sealed, counter, ...rest } = record;
  const locked = state !== null && state.lockedUntil > now;
  const type = record.type ?? "totp";
  return {
    ...rest,
    type,
    // The counter in force: the record's plus the steps accepted since (hotp_verifier.ts).
    counter: type === "hotp" ? BigInt(counter ?? "0") + BigInt((state?.lastStep ?? -1) + 1) : null,
    serial_no: record.serial_no ?? null,
    manufacturer: record.manufacturer ?? null,
    // A time step; HOTP subjects show their counter instead.
    last_accepted_step: type === "totp" && state && state.lastStep >= 0 ? state.lastStep : null,
    locked,
    locked_until: locked ? new Date(state!.lockedUntil).toISOString() : null,
  };
}

/** A subject's record, its decrypted seed, and the guard that proves both current. */
export interface LoadedSubject {
  record: SubjectRecord;
  seed: Seed;
  guard: RecordGuard;
}

/** Subject records over a {@linkcode StateStore}, with the seeds sealed. */
export class SubjectStore {
  #state: StateStore;
  #dataKey: CryptoKey;
  #loaded = new Map<string, LoadedSubject>();

  private constructor(state: StateStore, dataKey: CryptoKey) {
    this.#state = state;
    this.#dataKey = dataKey;
  }

  /**
   * Opens the store, creating the data key on first use. Replicas racing to create it
   * agree on one: the write succeeds only where none exists, and the losers read the winner's.
   */
  static async open(
    state: StateStore,
    keys: { privateKey: CryptoKey; publicKey: CryptoKey },
  ): Promise<SubjectStore> {
    let wrapped = await state.getRecord<string>(DATA_KEY_KEY);
    if (wrapped === null) {
      const fresh = await createWrappedDataKey(keys.publicKey);
      await state.setRecord(DATA_KEY_KEY, fresh, { ifAbsent: true });
      wrapped = await state.getRecord<string>(DATA_KEY_KEY);
    }
    return new SubjectStore(state, await unwrapDataKey(keys.privateKey, wrapped!));
  }

  /** A subject's record, or `null`. */
  get(id: string): Promise<SubjectRecord | null> {
    return this.#state.getRecord<SubjectRecord>(subjectRecordKey(id));
  }

  /**
   * Creates or replaces a subject with a new seed; its replay and throttle state starts
   * afresh (with `keepState`, the states of its earlier seeds are kept: a new seed still
   * starts afresh, and an earlier seed coming back keeps its marks). With `ifAbsent`, an
   * existing subject is left alone (`created: false, record: null`).
   */
  async put(
    id: string,
    secret: Uint8Array<ArrayBuffer>,
    params: SubjectParams,
    options: { now: number; ifAbsent?: boolean; keepState?: boolean },
  ): Promise<{ created: boolean; record: SubjectRecord | null }> {
    const existing = await this.get(id);
    if (existing !== null && options.ifAbsent) return { created: false, record: null };
    const time = new Date(options.now).toISOString();
    const record: SubjectRecord = {
      id,
      ...params,
      created_at: existing?.created_at ?? time,
      updated_at: time,
      sealed_seed: await sealSecret(this.#dataKey, secret, id),
    };
    await this.#state.setRecord(subjectRecordKey(id), record);
    if (!options.keepState) await this.#state.deleteSubject(id);
    this.#loaded.delete(id);
    return { created: existing === null, record };
  }

  /**
   * The record and its decrypted seed, read from the store now (the decrypted seed is
   * cached until the record changes), or `null`.
   */
  async load(id: string): Promise<LoadedSubject | null> {
    const found = await this.#state.getRecordVersioned<SubjectRecord>(subjectRecordKey(id));
    if (found === null) {
      this.#loaded.delete(id);
      return null;
    }
    const record = found.value;
    const guard = { key: subjectRecordKey(id), version: found.version };
    const cached = this.#loaded.get(id);
    const seed = cached?.record.sealed_seed === record.sealed_seed
      ? cached.seed
      : await this.seedOf(record);
    const loaded = { record, seed, guard };
    this.#loaded.set(id, loaded);
    return loaded;
  }

  /**
   * What {@linkcode load} last returned for `id`, without reading the store. Whoever uses
   * it must pass its guard to the store, which refuses it once the record changed.
   */
  cached(id: string): LoadedSubject | undefined {
    return this.#loaded.get(id);
  }

  /** A record's seed, decrypted (cached per sealed seed for subjects loaded before). */
  async seedOf(record: SubjectRecord): Promise<Seed> {
    const cached = this.#loaded.get(record.id);
    if (cached?.record.sealed_seed === record.sealed_seed) return cached.seed;
    const secret = await this.#open(record);
    const seed = await seedFromBytes(secret, {
      algorithm: HASH_OF[record.algorithm],
      digits: record.digits,
    });
    secret.fill(0);
    return seed;
  }

  /** A record's secret bytes; the caller zeroes them when done. */
  secretOf(record: SubjectRecord): Promise<Uint8Array<ArrayBuffer>> {
    return this.#open(record);
  }

  /**
   * The record and its raw seed bytes, for a sealed export only (the caller encrypts them to
   * the recipient and zeroes them); `null` when there is no such subject.
   */
  async secret(
    id: string,
  ): Promise<{ record: SubjectRecord; secret: Uint8Array<ArrayBuffer> } | null> {
    const record = await this.get(id);
    return record === null ? null : { record, secret: await this.#open(record) };
  }

  /**
   * Seals another secret of the service under the data key, like the seeds: the key of the
   * recovery-code digests. `context` is bound as associated data and must not be a subject
   * id (give it a space, which ids never hold).
   */
  sealOther(secret: Uint8Array<ArrayBuffer>, context: string): Promise<string> {
    return sealSecret(this.#dataKey, secret, context);
  }

  /** Opens what {@linkcode sealOther} sealed with the same context. */
  openOther(sealed: string, context: string): Promise<Uint8Array<ArrayBuffer>> {
    return openSecret(this.#dataKey, sealed, context);
  }

  /** Opens a record's sealed seed: the one place that knows how seeds are sealed. */
  #open(record: SubjectRecord): Promise<Uint8Array<ArrayBuffer>> {
    return openSecret(this.#dataKey, record.sealed_seed, record.id);
  }

  /** Removes a subject and its state; `true` when it existed. */
  async delete(id: string): Promise<boolean> {
    const existed = await this.#state.deleteRecord(subjectRecordKey(id));
    await this.#state.deleteSubject(id);
    this.#loaded.delete(id);
    return existed;
  }

  /** A page of subject records. */
  list(
    options: { limit: number; cursor?: string },
  ): Promise<{ items: SubjectRecord[]; cursor: string | null }> {
    return this.#state.listRecords<SubjectRecord>(SUBJECT_RECORDS_PREFIX, options);
  }
}
