/**
 * How `esalert run` runs, as a choice of parts: live and backfill (--start/--end) search
 * Elasticsearch and write the writeback indices; --data searches a file of documents in memory
 * and keeps the writeback in memory, on a clock that can be moved past the last aggregate when
 * the data runs out; --debug reads the live writeback but keeps its alerts in memory and logs them
 * instead of sending them.
 */
import { debugAlerter } from '../alerters/debug.ts';
import type { Alerter } from '../alerters/alerter.ts';
import { parseCliTime } from '../config/cli-time.ts';
import type { GlobalConfig } from '../config/global-config.ts';
import type { CompiledRule } from '../compile/compiled-rule.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import type { Clock } from '../model/clock.ts';
import type { EsClient, EsConnection } from '../query/es-client.ts';
import { createEsSearchPort } from '../query/es-search-port.ts';
import { createMsearchCoalescer, type MsearchCoalescer } from '../query/msearch-coalescer.ts';
import type { MemoryDocument } from '../query/memory/memory-search-port.ts';
import type { SearchPort } from '../query/search-port.ts';
import { debugStores } from '../state/debug-stores.ts';
import { createEsHistory } from '../state/es-history.ts';
import { createEsLeaseStore } from '../state/es-lease-store.ts';
import { createEsWriteback } from '../state/es-writeback.ts';
import type { HistoryReader } from '../state/history.ts';
import type { LeaseStore } from '../state/lease-store.ts';
import { createMemoryHistory } from '../state/memory-history.ts';
import { createMemoryWriteback, type MemoryWriteback } from '../state/memory-writeback.ts';
import { type SilenceStore, type Stores, type WritebackStore, writebackStores } from '../state/writeback.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import { type ConnectDeps, createConnectionPool } from './connect.ts';
import { PAST_DATA_LIMIT_MS } from './dry-run.ts';
import { setupWarnings } from './setup-warnings.ts';

export interface RunModeOptions {
  start?: string;
  end?: string;
  debug?: boolean;
  /** Log every Elasticsearch request (--es-debug). */
  esDebug?: boolean;
  /** A file of documents (or the documents) to evaluate over instead of Elasticsearch. */
  data?: string | readonly MemoryDocument[];
  /** One-shot runs (--end): how long to wait for Elasticsearch before giving up (default 2 min). */
  esWaitMs?: number;
}

/**
 * How long a writeback write waits for the writes of other rules to share its `_bulk` request
 * (ms): the rules of one scheduler tick finish within a few milliseconds of each other.
 */
export const WRITE_LINGER_MS = 10;

/** How long the mapping of an index, read for the setup warnings of one rule, serves the others (ms). */
const FIELD_CAPS_REUSE_MS = 60_000;

/** How long a one-shot run waits for an unreachable Elasticsearch by default. */
export const DEFAULT_ES_WAIT_MS = 120_000;

export interface RunMode {
  clock: Clock;
  /** --start: where each rule's first run begins. */
  startAt: number | undefined;
  /** --end (or the end of the data): every run ends here, and the process exits once covered. */
  endAt: number | undefined;
  offline: boolean;
  /** The writeback backend (Elasticsearch or memory). */
  writeback: WritebackStore;
  /** Where replicas coordinate (beside the writeback indices); absent offline. */
  leaseStore: LeaseStore | undefined;
  /** What runs read and write: the writeback's stores, or --debug's mix. */
  stores: Stores;
  /** The writeback read back for people (the console). */
  history: HistoryReader;
  /** Where people set and lift silences: written so that the next search sees them. */
  manualSilences: SilenceStore;
  /** The main connection's search port (offline: the file's). */
  mainSearch: SearchPort;
  /** Why nothing may be written (--debug), if so. */
  readOnlyReason: string | undefined;
  /** Instead of each rule's alerters (--debug logs its alerts). */
  alerters: ((rt: RuntimeRule) => Alerter[]) | undefined;
  alertTimeLimitMs: number;
  /** The search port of a rule (its own connection keys may name another cluster). */
  searchFor(rule: CompiledRule): Promise<SearchPort>;
  /** Setups of the rule that cannot alert (no such index, fields in no mapping); none offline. */
  setupWarnings(rule: CompiledRule): Promise<string[]>;
  /** Answers when Elasticsearch does (readiness); absent offline. */
  esCheck: (() => Promise<void>) | undefined;
  /** Offline runs end when the data does: moves the clock past every pending aggregate's alert time. */
  releaseAggregates(): number;
  /** Closes the connections. */
  close(): Promise<void>;
}

export async function createRunMode(
  o: RunModeOptions,
  config: GlobalConfig,
  deps: ConnectDeps & { clock: Clock },
): Promise<RunMode> {
  const { logger } = deps;
  // Offline runs end when the data does: pending aggregates are then released by moving this
  // clock past their alert time (releaseAggregates).
  let shift = 0;
  const clock: Clock =
    o.data === undefined
      ? deps.clock
      : { now: () => deps.clock.now() + shift, setTimer: (fn, ms) => deps.clock.setTimer(fn, ms) };
  let startAt = parseCliTime(o.start, '--start', clock);
  let endAt = parseCliTime(o.end, '--end', clock);
  let offline: SearchPort | undefined;
  if (o.data !== undefined) {
    // the in-memory backend loads only for --data runs
    const { loadDocuments, spanWindow, timeSpan } = await import('../query/memory/load-documents.ts');
    const { createMemorySearchPort } = await import('../query/memory/memory-search-port.ts');
    const docs = typeof o.data === 'string' ? await loadDocuments(o.data) : o.data;
    offline = createMemorySearchPort(docs);
    // the global timestamp_field, default @timestamp
    const field = config.raw.timestamp_field;
    const span = timeSpan(docs, typeof field === 'string' && field ? field : '@timestamp');
    const window = span ? spanWindow(span) : undefined;
    startAt ??= window?.start ?? clock.now() - config.bufferTimeMs;
    endAt ??= window?.end ?? clock.now();
    logger.info(
      { documents: docs.length, from: toIso(startAt), to: toIso(endAt) },
      'evaluating over a file of documents, without Elasticsearch',
    );
  }

  // a rule naming another cluster gets its own connection, without config.yaml's credentials; a
  // continuous run waits for Elasticsearch as long as it takes, a one-shot run gives up
  const pool = createConnectionPool(
    {
      ...deps,
      esDebug: o.esDebug === true,
      ...(endAt === undefined ? {} : { giveUpAfterMs: o.esWaitMs ?? DEFAULT_ES_WAIT_MS }),
    },
    config.raw,
  );
  // one search coalescer and port per connection: the rules on one cluster share _msearch
  // requests, with at most max_threads of them under way at once
  const perConnection = new Map<EsConnection, { coalescer: MsearchCoalescer; port: SearchPort }>();
  const searchesOf = (conn: EsConnection) => {
    let s = perConnection.get(conn);
    if (!s) {
      const coalescer = createMsearchCoalescer(conn.client, { maxInFlight: config.maxThreads });
      s = { coalescer, port: createEsSearchPort(conn.client, { coalescer }) };
      perConnection.set(conn, s);
    }
    return s;
  };
  // the mappings rules check at load, asked once per index and fields while rules load together
  // (they share index patterns); a minute later (a reload) they are asked again
  const fieldCaps = new Map<string, { at: number; answer: ReturnType<EsClient['fieldCaps']> }>();
  const fieldCapsOf = (conn: EsConnection): Pick<EsClient, 'fieldCaps'> => ({
    fieldCaps: (params, options) => {
      const key = JSON.stringify([conn.client.transport.nodes, params.index, params.fields]);
      const now = performance.now();
      const known = fieldCaps.get(key);
      if (known && now - known.at < FIELD_CAPS_REUSE_MS) return known.answer;
      const answer = conn.client.fieldCaps(params, options);
      fieldCaps.set(key, { at: now, answer });
      // a failed answer is asked again by the next rule
      answer.catch(() => fieldCaps.delete(key));
      return answer;
    },
  });
  const memory: MemoryWriteback | undefined = offline ? createMemoryWriteback() : undefined;
  const mainConn = offline ? undefined : await pool.connect(config.raw);
  const writeback: WritebackStore =
    memory ??
    createEsWriteback(mainConn!.client, config.writebackIndex, {
      coalescer: searchesOf(mainConn!).coalescer,
      bulkLingerMs: WRITE_LINGER_MS,
    });
  // --debug writes nothing to the writeback (as ElastAlert 2): its alerts are kept in memory
  const stores = o.debug ? debugStores(writeback, createMemoryWriteback()) : writebackStores(writeback);
  const debugAlerters = new Map<string, Alerter[]>();
  const manualSilences =
    memory ?? createEsWriteback(mainConn!.client, config.writebackIndex, { refresh: 'wait_for' });
  return {
    clock,
    startAt,
    endAt,
    offline: Boolean(offline),
    writeback,
    leaseStore: mainConn ? createEsLeaseStore(mainConn.client, config.writebackIndex) : undefined,
    stores,
    history: memory ? createMemoryHistory(memory) : createEsHistory(mainConn!.client, config.writebackIndex),
    manualSilences: o.debug ? stores.silences : manualSilences,
    mainSearch: offline ?? searchesOf(mainConn!).port,
    readOnlyReason: o.debug
      ? 'esalert runs with --debug: it writes nothing to the writeback index'
      : undefined,
    alerters: o.debug
      ? (rt) => {
          let a = debugAlerters.get(rt.rule.name);
          if (!a)
            debugAlerters.set(
              rt.rule.name,
              (a = [debugAlerter.create(rt.rule.definition.raw, { logger, ruleDir: '.' })]),
            );
          return a;
        }
      : undefined,
    alertTimeLimitMs: offline ? PAST_DATA_LIMIT_MS : config.alertTimeLimitMs,
    searchFor: async (rule) => offline ?? searchesOf(await pool.connect(rule.connection)).port,
    setupWarnings: async (rule) =>
      offline ? [] : setupWarnings(rule, fieldCapsOf(await pool.connect(rule.connection))),
    esCheck: mainConn
      ? async () => {
          const up = await mainConn.client.ping({}, { requestTimeout: 3000, maxRetries: 0 });
          if (!up) throw new Error('ping failed');
        }
      : undefined,
    releaseAggregates() {
      if (!memory) return 0;
      const due = [...memory.alerts.values()]
        .filter((d) => !d.alert_sent && !d.aggregate_id)
        .map((d) => parseTimestamp(d.alert_time) ?? 0);
      if (!due.length) return 0;
      shift = Math.max(0, Math.max(...due) + 1 - deps.clock.now());
      return due.length;
    },
    close: () => pool.close(),
  };
}
