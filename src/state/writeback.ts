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
  [key: string]: unknown;
}

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

export interface WritebackStore {
  /** Creates missing indices (with ElastAlert 2's mappings). */
  ensureIndices(): Promise<void>;
  /** The newest run status of a rule. */
  lastStatus(ruleName: string): Promise<StatusDoc | undefined>;
  writeStatus(doc: StatusDoc): Promise<void>;
  /** The silence with the latest `until` for a key. */
  silence(key: string): Promise<SilenceEntry | undefined>;
  writeSilence(key: string, entry: SilenceEntry, nowIso: string): Promise<void>;
  /** Silences, latest `until` first (at most 1000), for `esalert silence list`. */
  listSilences(
    filter?: SilenceFilter,
  ): Promise<{ id: string; key: string; until: string; exponent: number }[]>;
  deleteSilence(id: string): Promise<boolean>;
  writeError(message: string, data: Doc | undefined, nowIso: string, traceback?: string[]): Promise<void>;
  /** Creates an alert document under `id`; 'exists' when that id was already written (a replayed match). */
  createAlert(id: string, doc: AlertDoc): Promise<'created' | 'exists'>;
  updateAlert(id: string, patch: Partial<AlertDoc>): Promise<void>;
  getAlert(id: string): Promise<AlertDoc | undefined>;
  /** Unsent alerts (not aggregate members) with alert_time in [from, to], oldest first. */
  pendingAlerts(fromIso: string, toIso: string, limit: number): Promise<StoredAlert[]>;
  /** Members of an aggregate (aggregate_id = id), oldest first. */
  aggregateMembers(id: string, limit: number): Promise<StoredAlert[]>;
  /** The newest pending aggregate head of a rule (alert_time in the future), optionally per aggregation key. */
  pendingAggregate(
    ruleName: string,
    nowIso: string,
    aggregationKey: string | undefined,
  ): Promise<StoredAlert | undefined>;
  deleteAlert(id: string): Promise<void>;
  /** Makes everything written so far visible to searches (before a restart reads it back). */
  flush(): Promise<void>;
  /** Rule type state kept across restarts (esalert's `<wb>_esalert_state`), with what it was built for. */
  loadRuleState(ruleName: string): Promise<{ fingerprint: string; state: unknown } | undefined>;
  saveRuleState(ruleName: string, fingerprint: string, state: unknown): Promise<void>;
}
