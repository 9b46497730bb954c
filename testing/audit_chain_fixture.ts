/**
 * Hash-chained audit logs for tests: written by the real {@linkcode AuditChain} with a
 * fresh Ed25519 key and a fixed clock, returned as the exact lines the file would hold.
 *
 * @module
 */
import { AuditChain, type ChainPosition } from "../observability/audit_chain.ts";
import {
  type Ed25519SigningKey,
  generateEd25519Pem,
  importEd25519PrivatePem,
} from "../crypto/ed25519.ts";

/** Options for {@linkcode writeChainedLog}. */
export interface WriteChainedLogOptions {
  /** Event lines to write. */
  events: number;
  /** The log id. @default {"0123456789abcdef"} */
  log?: string;
  /** Lines between checkpoints. @default {100} */
  sealEvery?: number;
  /** Seal at the end (as a clean shutdown does). @default {true} */
  close?: boolean;
  /** The signing key. @default {a new one} */
  key?: Ed25519SigningKey;
  /** Where the chain continues. @default {null} */
  after?: ChainPosition | null;
  /** Start of the clock, ms; each event moves it 1 s. @default {1_764_000_000_000} */
  start?: number;
}

/** The lines (no newlines) and the key that signed them. */
export interface ChainedLog {
  lines: string[];
  key: Ed25519SigningKey;
}

/** Writes `events` verify events (subject `s<n>`) through an AuditChain. */
export async function writeChainedLog(options: WriteChainedLogOptions): Promise<ChainedLog> {
  const key = options.key ?? await importEd25519PrivatePem(await generateEd25519Pem());
  const lines: string[] = [];
  let now = options.start ?? 1_764_000_000_000;
  const chain = new AuditChain({
    log: options.log ?? "0123456789abcdef",
    signer: { kid: key.kid, privateKey: key.privateKey },
    after: options.after ?? null,
    emit: (line) => lines.push(line),
    now: () => now,
    sealEvery: options.sealEvery ?? 100,
  });
  for (let i = 1; i <= options.events; i++) {
    now += 1000;
    chain.append({
      time: new Date(now).toISOString(),
      level: "info",
      msg: "audit",
      event: "verify.ok",
      subject: `s${i}`,
    });
    // Let a checkpoint being signed land, as the event loop would between requests.
    await Promise.resolve();
  }
  if (options.close ?? true) await chain.close();
  else await chain.settled();
  return { lines, key };
}

/** The file's bytes for `lines`. */
export function fileOf(lines: readonly string[]): Uint8Array {
  return new TextEncoder().encode(lines.map((line) => line + "\n").join(""));
}
