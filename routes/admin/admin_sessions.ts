/**
 * Admin console sessions, kept in the state store so that every replica sharing it (Redis)
 * knows every session, as a single process does with Deno KV.
 *
 * - The session id is 256 random bits made here at sign-in, never one a client sent: a
 *   cookie holding anything else finds no session (no session fixation).
 * - The store holds the SHA-256 of the id, not the id, so a dump of the store or a backup
 *   cannot be replayed as a cookie; beside it the session's CSRF token and its times.
 * - A session ends after {@linkcode SESSION_IDLE_MS} without a request (each request moves
 *   the deadline), or at sign-out. The deadline is checked here against the service clock;
 *   the store's own expiry only clears sessions nobody comes back to.
 *
 * @module
 */
import { sha256 } from "../../crypto/sha256.ts";
import type { StateStore } from "../../store/state_store.ts";

/** Idle time after which a session ends: 30 minutes. */
export const SESSION_IDLE_MS = 30 * 60 * 1000;

/** Store key prefix of sessions. */
const PREFIX = "admin_sessions";

/** The form of a session id: 32 random bytes, base64url without padding. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A live session. */
export interface AdminSession {
  /** The id the cookie holds; only this process's memory and the cookie have it. */
  id: string;
  /** The token every form of the session carries. */
  csrf: string;
  /** When it began and when it was last used, in milliseconds. */
  created: number;
  seen: number;
}

type StoredSession = Omit<AdminSession, "id">;

/** 32 random bytes as base64url: session ids and CSRF tokens. */
export function randomToken(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

async function storeKey(id: string): Promise<string[]> {
  return [PREFIX, (await sha256(id)).toHex()];
}

/** Options for {@linkcode AdminSessions}. */
export interface AdminSessionsOptions {
  /** The clock, in milliseconds. */
  now: () => number;
  /** Idle time that ends a session. @default {SESSION_IDLE_MS} */
  idleMs?: number;
}

/** Sessions over a {@linkcode StateStore}. */
export class AdminSessions {
  #store: StateStore;
  #now: () => number;
  #idleMs: number;

  constructor(store: StateStore, options: AdminSessionsOptions) {
    this.#store = store;
    this.#now = options.now;
    this.#idleMs = options.idleMs ?? SESSION_IDLE_MS;
  }

  /** Begins a session with a fresh id and CSRF token. */
  async create(): Promise<AdminSession> {
    const now = this.#now();
    for (;;) {
      const session = { id: randomToken(), csrf: randomToken(), created: now, seen: now };
      const stored: StoredSession = { csrf: session.csrf, created: now, seen: now };
      // 256 random bits do not collide; ifAbsent makes sure an id is never shared anyway.
      const key = await storeKey(session.id);
      if (await this.#store.setExpiringRecord(key, stored, this.#idleMs, { ifAbsent: true })) {
        return session;
      }
    }
  }

  /**
   * The live session a cookie names, its idle deadline moved on; `null` for anything else
   * (absent, malformed, unknown, ended or idle too long: an idle one is removed).
   */
  async resume(id: string | undefined): Promise<AdminSession | null> {
    if (id === undefined || !SESSION_ID.test(id)) return null;
    const key = await storeKey(id);
    const stored = await this.#store.getRecord<StoredSession>(key);
    if (stored === null) return null;
    const now = this.#now();
    if (now - stored.seen >= this.#idleMs) {
      await this.#store.deleteRecord(key);
      return null;
    }
    const touched: StoredSession = { ...stored, seen: now };
    // ifPresent: a sign-out racing this request is not undone by it.
    if (!await this.#store.setExpiringRecord(key, touched, this.#idleMs, { ifPresent: true })) {
      return null;
    }
    return { id, ...touched };
  }

  /** Ends a session; `true` when there was one. */
  async end(id: string | undefined): Promise<boolean> {
    if (id === undefined || !SESSION_ID.test(id)) return false;
    return await this.#store.deleteRecord(await storeKey(id));
  }
}
