/**
 * Reading the writeback indices back for people (the console and its API): the alert log with
 * filters, a rule's run statuses, the silences with who set them. The stores the engine writes
 * through answer the engine's own questions; this answers an operator's.
 */
import type { AlertDoc, StatusDoc, StoredAlert } from './writeback.ts';

export type AlertState = 'delivered' | 'pending' | 'failed';

/** delivered: alert_sent; failed: not sent and a delivery failed; pending: not sent yet (waiting, or aggregating). */
export function alertState(doc: Pick<AlertDoc, 'alert_sent' | 'alert_exception'>): AlertState {
  if (doc.alert_sent) return 'delivered';
  return doc.alert_exception ? 'failed' : 'pending';
}

export interface AlertQuery {
  rule?: string;
  /** In [from, to] (ISO 8601): when the alert was recorded (@timestamp), or when its event happened (match_time). */
  from?: string;
  to?: string;
  timeField?: '@timestamp' | 'match_time';
  state?: AlertState;
  /** Only the members of this aggregate. */
  aggregateId?: string;
  /** Leave out members of aggregates (they are shown with their head). Default true. */
  headsOnly?: boolean;
  /** Newest first: skip this many, return at most `size`. */
  offset: number;
  size: number;
  /** Only these fields of each document (dotted paths), to scan many alerts cheaply. */
  fields?: string[];
}

export interface StoredSilence {
  id: string;
  key: string;
  until: string;
  exponent: number;
  /** When it was set (@timestamp). */
  at: string | undefined;
  author?: string;
  reason?: string;
}

export interface HistoryReader {
  /** Alerts, newest first, and how many match in all. */
  alerts(q: AlertQuery, signal?: AbortSignal): Promise<{ total: number; alerts: StoredAlert[] }>;
  alert(id: string, signal?: AbortSignal): Promise<AlertDoc | undefined>;
  /** A rule's run statuses, newest first. */
  statuses(rule: string, limit: number, signal?: AbortSignal): Promise<StatusDoc[]>;
  /** Silences (at most 1000), latest `until` first; only those in force at `activeAt` when given. */
  silences(activeAt: number | undefined, signal?: AbortSignal): Promise<StoredSilence[]>;
  silenceById(id: string, signal?: AbortSignal): Promise<StoredSilence | undefined>;
}
