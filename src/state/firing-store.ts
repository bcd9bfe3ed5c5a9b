/**
 * send_resolved: which keys of a rule are firing, kept across restarts. One document per rule in
 * the rule state index (<wb>_esalert_state), beside the rule type state, under its own id.
 */
import type { Doc } from '../model/lookup.ts';
import type { RuleStateStore } from './writeback.ts';

/** Where the delivery of a key's firing notification stands. */
export type FiringDelivery = 'none' | 'pending' | 'delivered';

export interface FiringEntry {
  /** The key the rule fired for (its query_key value, flatline's key, or "all"). */
  key: string;
  /** Event time of the first match of this episode, and of the latest. */
  firedAt: number;
  lastMatchAt: number;
  delivery: FiringDelivery;
  /** When the firing notification was queued (wall clock). */
  notifiedAt?: number;
  /** Set once the condition cleared while the firing notification was still under way. */
  clearedAt?: number;
  /** The first match of the episode: what the resolved notification is built from. */
  match: Doc;
}

export interface FiringStore {
  loadFiring(ruleName: string, signal?: AbortSignal): Promise<FiringEntry[]>;
  saveFiring(ruleName: string, entries: FiringEntry[], signal?: AbortSignal): Promise<void>;
}

const FINGERPRINT = 'firing/1';

/** The state document id of a rule's firing keys (apart from its rule type state's). */
export const firingStateId = (ruleName: string): string => `firing:${ruleName}`;

function isEntry(v: unknown): v is FiringEntry {
  const e = v as Partial<FiringEntry> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.key === 'string' &&
    typeof e.firedAt === 'number' &&
    typeof e.lastMatchAt === 'number' &&
    (e.delivery === 'none' || e.delivery === 'pending' || e.delivery === 'delivered') &&
    typeof e.match === 'object' &&
    e.match !== null
  );
}

/** The firing store on top of a rule state store (Elasticsearch or memory). */
export function firingStore(states: RuleStateStore): FiringStore {
  return {
    async loadFiring(ruleName, signal) {
      const saved = await states.loadRuleState(firingStateId(ruleName), signal);
      if (!saved || saved.fingerprint !== FINGERPRINT || !Array.isArray(saved.state)) return [];
      return (saved.state as unknown[]).filter(isEntry);
    },
    async saveFiring(ruleName, entries, signal) {
      await states.saveRuleState(firingStateId(ruleName), FINGERPRINT, entries, signal);
    },
  };
}

/** Firing state in memory (offline runs, dry runs, tests). */
export function memoryFiringStore(): FiringStore {
  const saved = new Map<string, FiringEntry[]>();
  return {
    async loadFiring(ruleName) {
      return structuredClone(saved.get(ruleName) ?? []);
    },
    async saveFiring(ruleName, entries) {
      saved.set(ruleName, structuredClone(entries));
    },
  };
}
