/**
 * The writeback store: ElastAlert 2's metadata indices, same names and fields, so existing
 * dashboards and Praeco keep working.
 *
 *   <wb>          alerts (one document per match: match_body, alert_sent, alert_time, ...)
 *   <wb>_status   one document per rule run (starttime, endtime, hits, matches): where to resume
 *   <wb>_silence  realert and manual silences (rule_name = silence key, until, exponent)
 *   <wb>_error    errors (message, traceback, data)
 *   <wb>_past     created for compatibility; never written (as in ElastAlert 2)
 */
import type { Doc } from '../model/lookup.ts';

export type WritebackKind = 'alert' | 'status' | 'silence' | 'error' | 'past' | 'state';

export function writebackIndex(base: string, kind: WritebackKind): string {
  switch (kind) {
    case 'alert':
      return base;
    case 'status':
      return `${base}_status`;
    case 'silence':
      return `${base}_silence`;
    case 'error':
      return `${base}_error`;
    case 'past':
      return `${base}_past`;
    case 'state':
      return `${base}_esalert_state`;
  }
}

export interface StatusDoc {
  rule_name: string;
  starttime: string;
  endtime: string;
  matches: number;
  hits: number;
  time_taken: number;
  '@timestamp': string;
}

export interface SilenceEntry {
  until: number;
  exponent: number;
  /** Read from the store (set elsewhere: `esalert silence`, another process), so checked again each run. */
  fromStore?: boolean;
  /** A silence set by hand (the console): who set it, and why. Written only when given. */
  author?: string;
  reason?: string;
}

export interface AlertDoc {
  match_body: Doc;
  rule_name: string;
  alert_info: Doc;
  alert_sent: boolean;
  alert_time: string;
  match_time?: unknown;
  alert_exception?: string;
  aggregate_id?: string;
  aggregation_key?: string;
  '@timestamp': string;
  /** esalert: per-alerter delivery state, so a retry never resends to a channel that already got it. */
  esalert_delivered?: string[];
  /** esalert: each hand-over to an alerter's channel and its outcome, oldest first (the last 20). */
  esalert_attempts?: DeliveryAttempt[];
  [key: string]: unknown;
}

/**
 * One delivery of an alert to one of its rule's alerters (`<index>:<type>`, as in
 * esalert_delivered): the channel's own retries of retryable failures happen within it.
 */
export interface DeliveryAttempt {
  at: string;
  alerter: string;
  ok: boolean;
  error?: string;
  retryable?: boolean;
}

/** Attempts kept on an alert document. */
export const ATTEMPTS_KEPT = 20;

export interface SilenceFilter {
  /** Exactly this key. */
  key?: string;
  /** Keys starting with this (a rule's `<realert_key>.` query-key silences). */
  prefix?: string;
  /** Only silences still in force at this instant (epoch ms). */
  activeAt?: number;
}

export interface StoredAlert {
  id: string;
  doc: AlertDoc;
}

/** Where each rule run ended: the resume point of the next run (<wb>_status). */
export interface RunStatusStore {
  /** The newest run status of a rule. */
  lastStatus(ruleName: string, signal?: AbortSignal): Promise<StatusDoc | undefined>;
  writeStatus(doc: StatusDoc, signal?: AbortSignal): Promise<void>;
}

/** Realert and manual silences (<wb>_silence). */
export interface SilenceStore {
  /** The silence with the latest `until` for a key. */
  silence(key: string, signal?: AbortSignal): Promise<SilenceEntry | undefined>;
  writeSilence(key: string, entry: SilenceEntry, nowIso: string, signal?: AbortSignal): Promise<void>;
  /** Silences, latest `until` first (at most 1000), for `esalert silence list`. */
  listSilences(
    filter?: SilenceFilter,
    signal?: AbortSignal,
  ): Promise<{ id: string; key: string; until: string; exponent: number }[]>;
  deleteSilence(id: string, signal?: AbortSignal): Promise<boolean>;
}

/** The alert log and outbox (<wb>): every alert before it is sent, and whether it was. */
export interface AlertStore {
  /** Creates an alert document under `id`; 'exists' when that id was already written (a replayed match). */
  createAlert(id: string, doc: AlertDoc, signal?: AbortSignal): Promise<'created' | 'exists'>;
  updateAlert(id: string, patch: Partial<AlertDoc>, signal?: AbortSignal): Promise<void>;
  getAlert(id: string, signal?: AbortSignal): Promise<AlertDoc | undefined>;
  /** Unsent alerts (not aggregate members) with alert_time in [from, to], oldest first. */
  pendingAlerts(fromIso: string, toIso: string, limit: number, signal?: AbortSignal): Promise<StoredAlert[]>;
  /** Members of an aggregate (aggregate_id = id), oldest first. */
  aggregateMembers(id: string, limit: number, signal?: AbortSignal): Promise<StoredAlert[]>;
  /** The newest pending aggregate head of a rule (alert_time in the future), optionally per aggregation key. */
  pendingAggregate(
    ruleName: string,
    nowIso: string,
    aggregationKey: string | undefined,
    signal?: AbortSignal,
  ): Promise<StoredAlert | undefined>;
  deleteAlert(id: string, signal?: AbortSignal): Promise<void>;
}

/** Rule type state kept across restarts (esalert's `<wb>_esalert_state`), with what it was built for. */
export interface RuleStateStore {
  loadRuleState(
    ruleName: string,
    signal?: AbortSignal,
  ): Promise<{ fingerprint: string; state: unknown } | undefined>;
  saveRuleState(ruleName: string, fingerprint: string, state: unknown, signal?: AbortSignal): Promise<void>;
}

/** Errors of rule runs (<wb>_error). */
export interface ErrorStore {
  writeError(
    message: string,
    data: Doc | undefined,
    nowIso: string,
    traceback?: string[],
    signal?: AbortSignal,
  ): Promise<void>;
}

/** One store per concern. A run may take them from different places (--debug, dry runs). */
export interface Stores {
  status: RunStatusStore;
  silences: SilenceStore;
  alerts: AlertStore;
  ruleState: RuleStateStore;
  errors: ErrorStore;
}

/** Every store in one backend (Elasticsearch, memory), with what setting it up and shutting down needs. */
export interface WritebackStore extends RunStatusStore, SilenceStore, AlertStore, RuleStateStore, ErrorStore {
  /** Creates missing indices (with ElastAlert 2's mappings). */
  ensureIndices(signal?: AbortSignal): Promise<void>;
  /** Makes everything written so far visible to searches (before a restart reads it back). */
  flush(signal?: AbortSignal): Promise<void>;
}

/** Each store from one backend. */
export function writebackStores(w: WritebackStore): Stores {
  return { status: w, silences: w, alerts: w, ruleState: w, errors: w };
}
