/** send_resolved and resolve_timeout, as a rule's compiled options hold them. */
export interface ResolveSettings {
  /**
   * How long a key of a rule type without its own notion of "cleared" (any, blacklist, change,
   * ...) must go without a new match before it counts as resolved (event time, ms).
   */
  timeoutMs: number;
}

/** resolve_timeout when not set: three times kubelet's longest back-off between restarts (5 min). */
export const DEFAULT_RESOLVE_TIMEOUT_MS = 15 * 60_000;
