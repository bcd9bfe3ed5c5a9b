/** The in-memory writeback read back for the console (offline runs, tests): see history.ts. */
import { parseTimestamp, toIso } from '../util/time.ts';
import { alertState, type HistoryReader, type StoredSilence } from './history.ts';
import type { MemoryWriteback } from './memory-writeback.ts';

const ms = (iso: string | undefined) => parseTimestamp(iso) ?? 0;

const silenceOf = (s: MemoryWriteback['silences'][number]): StoredSilence => ({
  id: s.id,
  key: s.key,
  until: toIso(s.until),
  exponent: s.exponent,
  at: s.at,
  ...(s.author !== undefined ? { author: s.author } : {}),
  ...(s.reason !== undefined ? { reason: s.reason } : {}),
});

export function createMemoryHistory(store: MemoryWriteback): HistoryReader {
  return {
    async alerts(q) {
      const from = q.from === undefined ? -Infinity : ms(q.from);
      const to = q.to === undefined ? Infinity : ms(q.to);
      const all = [...store.alerts]
        .map(([id, doc]) => ({ id, doc }))
        .filter(({ doc }) => {
          const t = q.timeField === 'match_time' ? doc.match_time : doc['@timestamp'];
          const at = typeof t === 'string' ? ms(t) : NaN;
          if (q.rule !== undefined && doc.rule_name !== q.rule) return false;
          if (q.aggregateId !== undefined) {
            if (doc.aggregate_id !== q.aggregateId) return false;
          } else if (q.headsOnly !== false && doc.aggregate_id !== undefined) return false;
          if (q.state !== undefined && alertState(doc) !== q.state) return false;
          return (q.from === undefined && q.to === undefined) || (at >= from && at <= to);
        })
        .reverse()
        .sort((a, b) => ms(b.doc['@timestamp']) - ms(a.doc['@timestamp']));
      return { total: all.length, alerts: all.slice(q.offset, q.offset + q.size) };
    },
    async alert(id) {
      return store.alerts.get(id);
    },
    async statuses(rule, limit) {
      return store.statuses
        .filter((s) => s.rule_name === rule)
        .sort((a, b) => ms(b['@timestamp']) - ms(a['@timestamp']))
        .slice(0, limit);
    },
    async silences(activeAt) {
      return store.silences
        .filter((s) => activeAt === undefined || s.until > activeAt)
        .sort((a, b) => b.until - a.until)
        .slice(0, 1000)
        .map(silenceOf);
    },
    async silenceById(id) {
      const s = store.silences.find((x) => x.id === id);
      return s ? silenceOf(s) : undefined;
    },
  };
}
