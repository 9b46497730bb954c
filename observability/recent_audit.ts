/**
 * The last audit events of this process, for the admin console's service page: a fixed-size
 * ring in memory that every event passes through on its way to the audit log.
 *
 * In memory rather than in the state store: a store-backed ring would add a write (a Redis
 * round trip) to every verification, on the API's hot path, for a page an operator opens now
 * and then. The price is that with replicas each one shows its own events; the audit log
 * (standard output and `AUDIT_LOG_FILE`) stays the complete, tamper-evident record.
 *
 * Audit events never carry a code, seed, token or ciphertext (observability/audit.ts), so
 * neither does the ring.
 *
 * @module
 */
import type { AuditEvent, AuditFields, AuditLog } from "./audit.ts";

/** How many events the console shows. */
export const RECENT_AUDIT_EVENTS = 50;

/** One remembered event. */
export interface RecentAuditEvent extends AuditFields {
  /** When it was recorded, ISO 8601. */
  time: string;
  event: AuditEvent;
}

/** Options for {@linkcode RecentAuditLog}. */
export interface RecentAuditLogOptions {
  /** How many events to keep. @default {RECENT_AUDIT_EVENTS} */
  capacity?: number;
  /** The clock, in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** An {@linkcode AuditLog} that passes every event on and remembers the last few. */
export class RecentAuditLog implements AuditLog {
  #inner: AuditLog;
  #ring: (RecentAuditEvent | undefined)[];
  #next = 0;
  #now: () => number;

  constructor(inner: AuditLog, options: RecentAuditLogOptions = {}) {
    const capacity = options.capacity ?? RECENT_AUDIT_EVENTS;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a whole number from 1, got ${capacity}`);
    }
    this.#inner = inner;
    this.#ring = new Array(capacity);
    this.#now = options.now ?? Date.now;
  }

  record(event: AuditEvent, fields: AuditFields): void {
    this.#inner.record(event, fields);
    // Overwrites the oldest slot: constant time and memory, whatever the rate of events.
    this.#ring[this.#next] = { time: new Date(this.#now()).toISOString(), event, ...fields };
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** The remembered events, newest first. */
  recent(): RecentAuditEvent[] {
    const events: RecentAuditEvent[] = [];
    for (let i = 1; i <= this.#ring.length; i++) {
      const event = this.#ring[(this.#next - i + this.#ring.length) % this.#ring.length];
      if (event === undefined) break;
      events.push(event);
    }
    return events;
  }

  healthy(): boolean {
    return this.#inner.healthy();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
