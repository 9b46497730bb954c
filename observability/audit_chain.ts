/**
 * The writer of one hash-chained audit log: it numbers each line (`seq`), links it to the
 * previous one (`prev`, see audit_checkpoint.ts) and seals the chain with a signed
 * checkpoint line after every {@linkcode AuditChainOptions.sealEvery} lines, within
 * {@linkcode AuditChainOptions.sealAfterMs} of the first unsealed line, and at
 * {@linkcode AuditChain.close}. Anyone holding the public key can then tell an edited,
 * deleted, inserted or reordered line from the untouched log (`deno task audit-verify`).
 *
 * Lines are built and hashed synchronously, in the order events happen. Signing is
 * asynchronous (WebCrypto), so while a checkpoint is being signed the events that arrive
 * wait in order and are written right after it: the checkpoint is always the line its
 * `seq` says, and no line is ever written twice or out of order.
 *
 * @module
 */
import { signEd25519 } from "../crypto/ed25519.ts";
import { CHECKPOINT_EVENT, checkpointMessage, GENESIS, lineHash } from "./audit_checkpoint.ts";

/** The last line of a log already in the file, where the chain continues. */
export interface ChainPosition {
  seq: number;
  /** {@linkcode lineHash} of that line. */
  hash: string;
  /** Whether it is a checkpoint (nothing after the last seal). */
  sealed: boolean;
}

/** The key that signs checkpoints. */
export interface CheckpointSigner {
  kid: string;
  privateKey: CryptoKey;
}

/** Options for {@linkcode AuditChain}. */
export interface AuditChainOptions {
  /** This process's log id. */
  log: string;
  signer: CheckpointSigner;
  /** Where the log continues; `null` starts at seq 1. */
  after: ChainPosition | null;
  /** The first line to write (after `time`), before any event: see audit_trail.ts. */
  opening?: ChainEntry | null;
  /** Receives every finished line (no newline), in order. */
  emit: (line: string) => void;
  /** Called when a checkpoint cannot be signed (the lines still go out). */
  onSealError?: (error: unknown) => void;
  /** Clock, in milliseconds. @default {Date.now} */
  now?: () => number;
  /** Lines between checkpoints, at most. @default {100} */
  sealEvery?: number;
  /** How long a line may stay unsealed. @default {60_000} */
  sealAfterMs?: number;
}

/** One event's fields before chaining; `time` first, as in every log line. */
export type ChainEntry = Record<string, unknown>;

/** A hash-chained, checkpointed log. */
export class AuditChain {
  #options: AuditChainOptions;
  #now: () => number;
  #seq: number;
  #hash: string;
  /** Lines written since the last checkpoint. */
  #unsealed: number;
  #queue: ChainEntry[] = [];
  #sealing: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(options: AuditChainOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#seq = options.after?.seq ?? 0;
    this.#hash = options.after?.hash ?? GENESIS;
    // A log that stopped without its final checkpoint (a crash): seal what is there soon.
    this.#unsealed = options.after === null || options.after.sealed ? 0 : 1;
    if (this.#unsealed > 0) this.#armTimer();
    const opening = options.opening ?? null;
    if (opening !== null) {
      this.append({ time: new Date(this.#now()).toISOString(), ...opening });
    }
  }

  /** The seq of the last line written. */
  get seq(): number {
    return this.#seq;
  }

  /** Writes one event line (or queues it while a checkpoint is being signed). */
  append(entry: ChainEntry): void {
    if (this.#sealing !== null) {
      this.#queue.push(entry);
      return;
    }
    this.#write(entry);
    this.#unsealed++;
    if (this.#unsealed >= (this.#options.sealEvery ?? 100)) void this.seal();
    else this.#armTimer();
  }

  /** Writes a checkpoint now when there are unsealed lines; resolves once it is written. */
  seal(): Promise<void> {
    if (this.#sealing !== null) return this.#sealing;
    if (this.#unsealed === 0) return Promise.resolve();
    this.#clearTimer();
    const fields = {
      log: this.#options.log,
      seq: this.#seq + 1,
      chain: this.#hash,
      time: new Date(this.#now()).toISOString(),
    };
    this.#sealing = (async () => {
      try {
        const sig = await signEd25519(this.#options.signer.privateKey, checkpointMessage(fields));
        this.#write({
          time: fields.time,
          level: "info",
          msg: "audit",
          event: CHECKPOINT_EVENT,
          chain: fields.chain,
          kid: this.#options.signer.kid,
          sig: sig.toBase64(),
        });
        this.#unsealed = 0;
      } catch (error) {
        this.#options.onSealError?.(error);
      }
    })().finally(() => {
      this.#sealing = null;
      const queued = this.#queue;
      this.#queue = [];
      for (const entry of queued) this.append(entry);
    });
    return this.#sealing;
  }

  /** Resolves once no checkpoint is being signed and no line waits for one. */
  async settled(): Promise<void> {
    while (this.#sealing !== null) await this.#sealing;
  }

  /** Stops the timer and writes the last checkpoint (once every queued line is out). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    while (this.#sealing !== null || this.#queue.length > 0 || this.#unsealed > 0) {
      const before = this.#seq;
      await this.seal();
      // A signer that keeps failing must not hold the shutdown.
      if (this.#seq === before && this.#sealing === null && this.#queue.length === 0) break;
    }
    this.#clearTimer();
  }

  #write(entry: ChainEntry): void {
    this.#seq++;
    const line = JSON.stringify({
      ...entry,
      log: this.#options.log,
      seq: this.#seq,
      prev: this.#hash,
    });
    this.#hash = lineHash(line);
    this.#options.emit(line);
  }

  #armTimer(): void {
    if (this.#timer !== null || this.#closed) return;
    const timer = setTimeout(() => {
      this.#timer = null;
      void this.seal();
    }, this.#options.sealAfterMs ?? 60_000);
    // The seal timer alone must not keep a finished process (or a test) alive.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#timer = null;
  }
}
