/**
 * Deadlines for many short waits, checked by one shared timer. A request body read gets a
 * 10-second deadline, yet nearly every body is already in the first packet and arrives
 * within a millisecond: a `setTimeout` and `clearTimeout` for each one cost the verify path
 * about 4% of its CPU (bench/README.md). Here a deadline is one entry in a set, and one
 * timer, running only while deadlines are pending, sweeps it every
 * {@linkcode SWEEP_INTERVAL_MS}; a late wait is told within that much of its deadline.
 *
 * @module
 */

/** How often pending deadlines are checked, in milliseconds. */
export const SWEEP_INTERVAL_MS = 250;

/** A pending deadline. */
export interface DeadlineWatch {
  /** Forgets the deadline (the wait ended in time); calling it again does nothing. */
  cancel(): void;
}

interface Entry extends DeadlineWatch {
  at: number;
  onLate: () => void;
}

const pending = new Set<Entry>();
let timer: ReturnType<typeof setInterval> | undefined;

function sweep(): void {
  if (pending.size === 0) {
    // Idle: stop until the next deadline is set.
    clearInterval(timer);
    timer = undefined;
    return;
  }
  const now = performance.now();
  for (const entry of pending) {
    if (entry.at > now) continue;
    pending.delete(entry);
    entry.onLate();
  }
}

/**
 * Calls `onLate` once `ms` milliseconds have passed (up to {@linkcode SWEEP_INTERVAL_MS}
 * later), unless cancelled first.
 */
export function watchDeadline(ms: number, onLate: () => void): DeadlineWatch {
  const entry: Entry = {
    at: performance.now() + ms,
    onLate,
    cancel: () => pending.delete(entry),
  };
  pending.add(entry);
  // Like the timer per wait it replaces, a pending deadline keeps the event loop alive;
  // the timer stops at the first sweep that finds no deadline left.
  timer ??= setInterval(sweep, SWEEP_INTERVAL_MS);
  return entry;
}
