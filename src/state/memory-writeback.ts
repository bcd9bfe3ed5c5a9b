/**
 * The writeback store in memory: for offline runs (no Elasticsearch), dry runs that must not
 * write, and unit tests. Same semantics as the Elasticsearch store.
 */
import { randomUUID } from 'node:crypto';
import { parseTimestamp, toIso } from '../util/time.ts';
import type { AlertDoc, SilenceEntry, StatusDoc, StoredAlert, WritebackStore } from './writeback.ts';

export interface MemoryWriteback extends WritebackStore {
  readonly statuses: StatusDoc[];
  readonly silences: {
    id: string;
    key: string;
    until: number;
    exponent: number;
    at: string;
    author?: string;
    reason?: string;
  }[];
  readonly errors: { message: string; data: unknown; at: string }[];
  readonly alerts: Map<string, AlertDoc>;
}

const iso = (s: string) => parseTimestamp(s) ?? 0;

export function createMemoryWriteback(): MemoryWriteback {
  const statuses: StatusDoc[] = [];
  const silences: MemoryWriteback['silences'] = [];
  const errors: MemoryWriteback['errors'] = [];
  const alerts = new Map<string, AlertDoc>();
  const states = new Map<string, { fingerprint: string; state: unknown }>();
  const alertList = (pred: (d: AlertDoc) => boolean) =>
    [...alerts].filter(([, d]) => pred(d)).map(([id, doc]) => ({ id, doc }));
  return {
    statuses,
    silences,
    errors,
    alerts,
    async ensureIndices() {},
    async lastStatus(ruleName) {
      return statuses
        .filter((s) => s.rule_name === ruleName)
        .sort((a, b) => iso(b['@timestamp']) - iso(a['@timestamp']))[0];
    },
    async writeStatus(doc) {
      statuses.push(doc);
    },
    async silence(key) {
      const s = silences.filter((x) => x.key === key).sort((a, b) => b.until - a.until)[0];
      return s ? { until: s.until, exponent: s.exponent } : undefined;
    },
    async writeSilence(key, entry: SilenceEntry, nowIso) {
      silences.push({
        id: randomUUID(),
        key,
        until: entry.until,
        exponent: entry.exponent,
        at: nowIso,
        ...(entry.author !== undefined ? { author: entry.author } : {}),
        ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
      });
    },
    async listSilences(filter = {}) {
      const { key, prefix, activeAt } = filter;
      const byKey = (k: string) =>
        (key === undefined && prefix === undefined) ||
        k === key ||
        (prefix !== undefined && k.startsWith(prefix));
      return silences
        .filter((s) => byKey(s.key) && (activeAt === undefined || s.until > activeAt))
        .sort((a, b) => b.until - a.until)
        .map((s) => ({ id: s.id, key: s.key, until: toIso(s.until), exponent: s.exponent }));
    },
    async deleteSilence(id) {
      const i = silences.findIndex((s) => s.id === id);
      if (i < 0) return false;
      silences.splice(i, 1);
      return true;
    },
    async writeError(message, data, nowIso) {
      errors.push({ message, data, at: nowIso });
    },
    async createAlert(id, doc) {
      if (alerts.has(id)) return 'exists';
      alerts.set(id, structuredClone(doc));
      return 'created';
    },
    async updateAlert(id, patch) {
      const d = alerts.get(id);
      if (d) alerts.set(id, { ...d, ...patch });
    },
    async getAlert(id) {
      return alerts.get(id);
    },
    async pendingAlerts(fromIso, toIso, limit) {
      const from = iso(fromIso);
      const to = iso(toIso);
      return alertList(
        (d) =>
          !d.alert_sent &&
          d.aggregate_id === undefined &&
          iso(d.alert_time) >= from &&
          iso(d.alert_time) <= to,
      )
        .sort((a, b) => iso(a.doc.alert_time) - iso(b.doc.alert_time))
        .slice(0, limit);
    },
    async aggregateMembers(id, limit) {
      return alertList((d) => d.aggregate_id === id)
        .sort((a, b) => iso(a.doc['@timestamp']) - iso(b.doc['@timestamp']))
        .slice(0, limit);
    },
    async pendingAggregate(ruleName, nowIso, aggregationKey): Promise<StoredAlert | undefined> {
      const now = iso(nowIso);
      return alertList(
        (d) =>
          d.rule_name === ruleName &&
          !d.alert_sent &&
          d.aggregate_id === undefined &&
          iso(d.alert_time) > now &&
          (aggregationKey === undefined || d.aggregation_key === aggregationKey),
      ).sort((a, b) => iso(b.doc.alert_time) - iso(a.doc.alert_time))[0];
    },
    async deleteAlert(id) {
      alerts.delete(id);
    },
    async flush() {},
    async loadRuleState(name) {
      return states.get(name);
    },
    async saveRuleState(name, fingerprint, state) {
      states.set(name, { fingerprint, state: structuredClone(state) });
    },
  };
}
