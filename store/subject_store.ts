/**
 * Subjects of the /v1 API: one TOTP credential per user of an application. A record holds
 * the parameters and the seed sealed with AES-256-GCM under the data key (store/data_key.ts).
 * The associated data binds the seal to the subject id, algorithm, digits and period, so a
 * record whose parameters were changed in the store (or a seal moved to another subject)
 * does not open. The decrypted seed lives only in this process's memory.
 *
 * Records sealed by earlier versions (associated data: the id alone, no `seal` field) still
 * open, and are resealed in the current form the first time they are loaded.
 *
 * @module
 */
import { openSecret, sealSecret } from "../crypto/envelope.ts";
import { HASH_OF, type OtpAlgorithm } from "../crypto/otp_algorithm.ts";
import type { Logger } from "../observability/logger.ts";
import { DataKey, type DataKeyServiceKeys, type DataKeyStatus } from "./data_key.ts";
import { type Seed, seedFromBytes } from "./seed_store.ts";
import type { StateStore } from "./state_store.ts";
import type { RecordGuard, VerificationState } from "./verification_rules.ts";
import { SUBJECT_RECORDS_PREFIX, subjectRecordKey } from "./state_keys.ts";

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
  /**
   * `false` while an enrolment made in the admin console waits for the first code from the
   * user's app (the API refuses to verify it until then); absent or `true`: in force. Only
   * the console writes `false`: every record the API writes is in force, as before.
   */
  confirmed?: boolean;
}

/** `totp` (RFC 6238) or `hotp` (RFC 4226). */
export type SubjectType = "totp" | "hotp";

/** The current form of the seal's associated data. */
export const SEAL_VERSION = 2;

/** A stored subject. `sealed_seed` never leaves the service. */
export interface SubjectRecord extends SubjectParams {
  id: string;
  created_at: string;
  updated_at: string;
  sealed_seed: string;
  /** {@linkcode SEAL_VERSION}; absent on records of earlier versions (id-only AAD). */
  seal?: number;
  /** `issued_at` of the signed seed in force, or `null` (unsigned or enrolled). */
  seed_issued_at?: string | null;
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
  /** `false` while a console enrolment waits for its first code. */
  confirmed: boolean;
}

/**
 * The associated data of a seal: every field that changes what the seed produces (the
 * type, time- or counter-based, as well as the hash, length and period of the codes).
 */
export function sealContext(record: Pick<SubjectRecord, "id" | keyof SubjectParams>): string {
  return [
    "pki-2fa-subject-v2",
    record.id,
    record.type ?? "totp",
    record.algorithm,
    record.digits,
    record.period,
  ].join("\n");
}

/** The metadata of a record, with its verification state at `now`. */
export function subjectMetadata(
  record: SubjectParams & {
    id: string;
    created_at: string | null;
    updated_at: string | null;
    sealed_seed?: string;
    seal?: number;
    seed_issued_at?: string | null;
  },
  state: VerificationState | null,
  now: number,
): SubjectMetadata {
  const { sealed_seed: _sealed, counter, seal: _seal, seed_issued_at: _issued, ...rest } = record;
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
    confirmed: record.confirmed !== false,
  };
}

/** A subject's record, its decrypted seed, and the guard that proves both current. */
export interface LoadedSubject {
  record: SubjectRecord;
  seed: Seed;
  guard: RecordGuard;
}

/** Options for {@linkcode SubjectStore.put}. */
export interface PutOptions {
  /** The clock, in milliseconds. */
  now: number;
  /** Leave an existing subject alone (an atomic if-absent write). @default {false} */
  ifAbsent?: boolean;
  /** `issued_at` of a signed seed (ms): refused unless newer than the one in force. */
  issuedAt?: number;
  /**
   * Keep the verification states of the subject's earlier seeds: a new seed still starts
   * afresh, and an earlier seed coming back keeps its marks. @default {false}
   */
  keepState?: boolean;
}

/** What {@linkcode SubjectStore.put} did. */
export type PutResult =
  | { outcome: "created" | "replaced"; record: SubjectRecord }
  | { outcome: "exists" | "stale"; record: null };

/** Options for {@linkcode SubjectStore.open}. */
export interface SubjectStoreOptions {
  logger: Logger;
  /** Told when the data key was rewrapped to the active key (audit `datakey.rewrapped`). */
  onRewrapped?: (fromKid: string, toKid: string) => void;
}

/** Subject records over a {@linkcode StateStore}, with the seeds sealed. */
export class SubjectStore {
  #state: StateStore;
  #dataKey: DataKey;
  #loaded = new Map<string, LoadedSubject>();

  private constructor(state: StateStore, dataKey: DataKey) {
    this.#state = state;
    this.#dataKey = dataKey;
  }

  /** Opens the store. Touches nothing: the data key is made when /v1 first needs it. */
  static open(
    state: StateStore,
    keys: DataKeyServiceKeys,
    options: SubjectStoreOptions,
  ): Promise<SubjectStore> {
    return Promise.resolve(new SubjectStore(state, new DataKey(state, keys, options)));
  }

  /**
   * Whether seeds can be sealed and opened, without creating the data key.
   * `locked` when the stored data key does not unwrap with the service key.
   */
  status(): Promise<DataKeyStatus> {
    return this.#dataKey.status();
  }

  /** A subject's record, or `null`. */
  get(id: string): Promise<SubjectRecord | null> {
    return this.#state.getRecord<SubjectRecord>(subjectRecordKey(id));
  }

  /**
   * Creates or replaces a subject with a new seed; its replay and throttle state starts
   * afresh. With `ifAbsent` an existing subject is left alone (`exists`); with `issuedAt`
   * a seed not newer than the signed one in force is refused (`stale`). Both checks and
   * the write are one atomic step of the state store.
   *
   * @throws {SubjectStoreLockedError} when the data key does not unwrap
   * @throws {DataKeyNotStoredError} when the state store holds another data key
   */
  async put(
    id: string,
    secret: Uint8Array<ArrayBuffer>,
    params: SubjectParams,
    options: PutOptions,
  ): Promise<PutResult> {
    const key = await this.#dataKey.forSealing();
    const time = new Date(options.now).toISOString();
    const fresh: SubjectRecord = {
      id,
      ...params,
      created_at: time,
      updated_at: time,
      sealed_seed: await sealSecret(key, secret, sealContext({ id, ...params })),
      seal: SEAL_VERSION,
      seed_issued_at: options.issuedAt === undefined
        ? null
        : new Date(options.issuedAt).toISOString(),
    };
    const recordKey = subjectRecordKey(id);
    let result: PutResult;
    if (options.ifAbsent) {
      const created = await this.#state.setRecord(recordKey, fresh, { ifAbsent: true });
      result = created
        ? { outcome: "created", record: fresh }
        : { outcome: "exists", record: null };
    } else {
      result = await this.#state.updateRecord<SubjectRecord, PutResult>(recordKey, (current) => {
        const inForce = current?.seed_issued_at ? Date.parse(current.seed_issued_at) : null;
        if (options.issuedAt !== undefined && inForce !== null && options.issuedAt <= inForce) {
          return { value: null, result: { outcome: "stale", record: null } };
        }
        const record = { ...fresh, created_at: current?.created_at ?? time };
        return { value: record, result: { outcome: current ? "replaced" : "created", record } };
      });
    }
    if (result.record !== null) {
      if (!options.keepState) await this.#state.deleteSubject(id);
      this.#loaded.delete(id);
    }
    return result;
  }

  /**
   * The record and its decrypted seed, read from the store now (the decrypted seed is
   * cached until the record changes), or `null`. A record of an earlier version is resealed
   * in the current form on the way.
   *
   * @throws {SubjectStoreLockedError} when the data key does not unwrap
   * @throws {TypeError} when the record does not open (changed in the store)
   */
  async load(id: string): Promise<LoadedSubject | null> {
    let found = await this.#state.getRecordVersioned<SubjectRecord>(subjectRecordKey(id));
    if (found !== null && found.value.seal === undefined) {
      await this.#reseal(found.value);
      found = await this.#state.getRecordVersioned<SubjectRecord>(subjectRecordKey(id));
    }
    if (found === null) {
      this.#loaded.delete(id);
      return null;
    }
    const record = found.value;
    const guard = { key: subjectRecordKey(id), version: found.version };
    const seed = await this.seedOf(record);
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
    try {
      return await seedFromBytes(secret, {
        algorithm: HASH_OF[record.algorithm],
        digits: record.digits,
      });
    } finally {
      secret.fill(0);
    }
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
   *
   * @throws {SubjectStoreLockedError} when the data key does not unwrap
   */
  async sealOther(secret: Uint8Array<ArrayBuffer>, context: string): Promise<string> {
    return await sealSecret(await this.#dataKey.forSealing(), secret, context);
  }

  /**
   * Opens what {@linkcode sealOther} sealed with the same context.
   *
   * @throws {SubjectStoreLockedError} when the data key does not unwrap
   */
  async openOther(sealed: string, context: string): Promise<Uint8Array<ArrayBuffer>> {
    return await openSecret(await this.#dataKey.get(), sealed, context);
  }

  /**
   * Opens a record's sealed seed: the one place that knows how seeds are sealed. Records of
   * earlier versions (no `seal`) were bound to the id alone.
   *
   * @throws {SubjectStoreLockedError} when the data key does not unwrap
   * @throws {TypeError} when the record does not open (changed in the store)
   */
  async #open(record: SubjectRecord): Promise<Uint8Array<ArrayBuffer>> {
    const context = record.seal === undefined ? record.id : sealContext(record);
    return await openSecret(await this.#dataKey.get(), record.sealed_seed, context);
  }

  /**
   * Rewrites a record of an earlier version (id-only associated data) in the current seal,
   * with a compare-and-set: a record changed meanwhile is left to its writer.
   */
  async #reseal(record: SubjectRecord): Promise<void> {
    const secret = await this.#open(record);
    try {
      const sealed = await sealSecret(
        await this.#dataKey.forSealing(),
        secret,
        sealContext(record),
      );
      await this.#state.updateRecord<SubjectRecord, void>(
        subjectRecordKey(record.id),
        (current) => ({
          value: current?.sealed_seed === record.sealed_seed && current.seal === undefined
            ? { ...current, sealed_seed: sealed, seal: SEAL_VERSION }
            : null,
          result: undefined,
        }),
      );
    } finally {
      secret.fill(0);
    }
  }

  /**
   * Marks a console enrolment as confirmed, atomically, only while the record still holds
   * the seed the confirming code was checked against (`record`): a seed replaced or a
   * subject deleted meanwhile is not confirmed by a code for the old one.
   *
   * @returns `confirmed`, `already` (confirmed before), or `changed` (replaced or gone)
   */
  async confirm(record: SubjectRecord): Promise<"confirmed" | "already" | "changed"> {
    const result = await this.#state.updateRecord<
      SubjectRecord,
      "confirmed" | "already" | "changed"
    >(
      subjectRecordKey(record.id),
      (current) => {
        if (current === null || current.sealed_seed !== record.sealed_seed) {
          return { value: null, result: "changed" };
        }
        if (current.confirmed !== false) return { value: null, result: "already" };
        return { value: { ...current, confirmed: true }, result: "confirmed" };
      },
    );
    this.#loaded.delete(record.id);
    return result;
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
