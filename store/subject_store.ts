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
import type { StateStore, SubjectState } from "./state_store.ts";
import { DATA_KEY_KEY, SUBJECT_RECORDS_PREFIX, subjectRecordKey } from "./state_keys.ts";

/** A subject's TOTP parameters and labels. */
export interface SubjectParams {
  algorithm: OtpAlgorithm;
  digits: 6 | 8;
  period: number;
  issuer: string | null;
  account_name: string | null;
}

/** A stored subject. `sealed_seed` never leaves the service. */
export interface SubjectRecord extends SubjectParams {
  id: string;
  created_at: string;
  updated_at: string;
  sealed_seed: string;
}

/** What the API shows of a subject: never the seed. */
export interface SubjectMetadata extends SubjectParams {
  id: string;
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
  state: SubjectState | null,
  now: number,
): SubjectMetadata {
  const { sealed_seed: _sealed, ...rest } = record;
  const locked = state !== null && state.lockedUntil > now;
  return {
    ...rest,
    last_accepted_step: state && state.lastStep >= 0 ? state.lastStep : null,
    locked,
    locked_until: locked ? new Date(state!.lockedUntil).toISOString() : null,
  };
}

/** Subject records over a {@linkcode StateStore}, with the seeds sealed. */
export class SubjectStore {
  #state: StateStore;
  #dataKey: CryptoKey;
  #seeds = new Map<string, { sealed: string; seed: Seed }>();

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
   * afresh. With `ifAbsent`, an existing subject is left alone (`created: false, record: null`).
   */
  async put(
    id: string,
    secret: Uint8Array<ArrayBuffer>,
    params: SubjectParams,
    options: { now: number; ifAbsent?: boolean },
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
    await this.#state.deleteSubject(id);
    this.#seeds.delete(id);
    return { created: existing === null, record };
  }

  /** The record and its decrypted seed (cached until the record changes), or `null`. */
  async load(id: string): Promise<{ record: SubjectRecord; seed: Seed } | null> {
    const record = await this.get(id);
    if (record === null) return null;
    const cached = this.#seeds.get(id);
    if (cached?.sealed === record.sealed_seed) return { record, seed: cached.seed };
    const secret = await this.#open(record);
    const seed = await seedFromBytes(secret, {
      algorithm: HASH_OF[record.algorithm],
      digits: record.digits,
    });
    secret.fill(0);
    this.#seeds.set(id, { sealed: record.sealed_seed, seed });
    return { record, seed };
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

  /** Opens a record's sealed seed: the one place that knows how seeds are sealed. */
  #open(record: SubjectRecord): Promise<Uint8Array<ArrayBuffer>> {
    return openSecret(this.#dataKey, record.sealed_seed, record.id);
  }

  /** Removes a subject and its state; `true` when it existed. */
  async delete(id: string): Promise<boolean> {
    const existed = await this.#state.deleteRecord(subjectRecordKey(id));
    await this.#state.deleteSubject(id);
    this.#seeds.delete(id);
    return existed;
  }

  /** A page of subject records. */
  list(
    options: { limit: number; cursor?: string },
  ): Promise<{ items: SubjectRecord[]; cursor: string | null }> {
    return this.#state.listRecords<SubjectRecord>(SUBJECT_RECORDS_PREFIX, options);
  }
}
