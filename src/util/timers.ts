/**
 * Node's timers take at most 2^31-1 ms (about 24.8 days); a longer or invalid delay fires after
 * 1 ms instead, which turns a periodic timer into a busy loop. Every delay esalert arms goes
 * through timerDelay.
 */

/** The longest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` clamped to what setTimeout honours, and at least `min` (NaN counts as `min`). */
export function timerDelay(ms: number, min = 0): number {
  if (Number.isNaN(ms) || ms < min) return Math.min(min, MAX_TIMER_MS);
  return Math.min(ms, MAX_TIMER_MS);
}
