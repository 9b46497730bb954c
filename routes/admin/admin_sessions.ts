/**
 * Admin console sessions, kept in the state store so that every replica sharing it (Redis)
 * knows every session, as a single process does with Deno KV.
 *
 * - The session id is 256 random bits made here at sign-in, never one a client sent: a
 *   cookie holding anything else finds no session (no session fixation).
 * - The store holds the SHA-256 of the id and the admin token, not the id, so a dump of
 *   the store or a backup cannot be replayed as a cookie, nor tell anything about the
 *   token; beside it the session's CSRF token and its times.
 * - A session lives as long as the admin token it was opened with: after `ADMIN_TOKEN` is
 *   changed (the answer to a leaked token) the old sessions are not found any more, on
 *   every replica, instead of keeping a console open to whoever held the old token.
 * - A session ends after {@linkcode SESSION_IDLE_MS} without a request (each request moves
 *   the deadline), {@linkcode SESSION_MAX_MS} after sign-in however busy it is (a stolen
 *   cookie kept alive by a script does not last for ever), or at sign-out. The deadlines
 *   are checked here against the service clock; the store's own expiry only clears
 *   sessions nobody comes back to.
 *
 * @module
 */
import { sha256 } from "../../crypto/sha256.ts";
import type { StateStore } from "../../store/state_store.ts";

/** Idle time after which a session ends: 30 minutes. */
export const SESSION_IDLE_MS = 30 * 60 * 1000;

/** Time after sign-in at which a session ends however busy: 8 hours (a working day). */
export const SESSION_MAX_MS = 8 * 60 * 60 * 1000;

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

/** The store key of a session: the digest of its id and of the token it was opened with. */
export async function sessionStoreKey(id: string, adminToken: string): Promise<string[]> {
  // The id has a fixed length and alphabet, so "id:token" cannot be read two ways.
  return [PREFIX, (await sha256(`${id}:${adminToken}`)).toHex()];
}

/** Options for {@linkcode AdminSessions}. */
export interface AdminSessionsOptions {
  /** The admin token sessions are opened with; a session opened with another is not found. */
  adminToken: string;
  /** The clock, in milliseconds. */
  now: () => number;
  /** Idle time that ends a session. @default {SESSION_IDLE_MS} */
  idleMs?: number;
  /** Time after sign-in that ends a session. @default {SESSION_MAX_MS} */
  maxMs?: number;
}

/** Sessions over a {@linkcode StateStore}. */
export class AdminSessions {
  #store: StateStore;
  #adminToken: string;
  #now: () => number;
  #idleMs: number;
  #maxMs: number;

  constructor(store: StateStore, options: AdminSessionsOptions) {
    this.#store = store;
    this.#adminToken = options.adminToken;
    this.#now = options.now;
    this.#idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.#maxMs = options.maxMs ?? SESSION_MAX_MS;
  }

  #key(id: string): Promise<string[]> {
    return sessionStoreKey(id, this.#adminToken);
  }

  /** Begins a session with a fresh id and CSRF token. */
  async create(): Promise<AdminSession> {
    const now = this.#now();
    for (;;) {
      const session = { id: randomToken(), csrf: randomToken(), created: now, seen: now };
      const stored: StoredSession = { csrf: session.csrf, created: now, seen: now };
      // 256 random bits do not collide; ifAbsent makes sure an id is never shared anyway.
      const key = await this.#key(session.id);
      if (await this.#store.setExpiringRecord(key, stored, this.#idleMs, { ifAbsent: true })) {
        return session;
      }
    }
  }

  /**
   * The live session a cookie names, its idle deadline moved on; `null` for anything else
   * (absent, malformed, unknown, opened with another admin token, ended, idle too long or
   * past its maximum age: those last two are removed).
   */
  async resume(id: string | undefined): Promise<AdminSession | null> {
    if (id === undefined || !SESSION_ID.test(id)) return null;
    const key = await this.#key(id);
    const stored = await this.#store.getRecord<StoredSession>(key);
    if (stored === null) return null;
    const now = this.#now();
    if (now - stored.seen >= this.#idleMs || now - stored.created >= this.#maxMs) {
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
    return await this.#store.deleteRecord(await this.#key(id));
  }
}
