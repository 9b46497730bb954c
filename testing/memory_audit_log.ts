/**
 * An audit log that keeps its events in memory, so tests can assert which security
 * events a request recorded.
 *
 * @module
 */
import type { AuditEvent, AuditFields, AuditLog } from "../observability/audit.ts";

/** An audit log that keeps parsed events in memory, for tests. */
export function createMemoryAuditLog(): AuditLog & {
  events: (AuditFields & { event: AuditEvent })[];
} {
  const events: (AuditFields & { event: AuditEvent })[] = [];
  return {
    events,
    record: (event, fields) => void events.push({ event, ...fields }),
    healthy: () => true,
    close: () => Promise.resolve(),
  };
}
