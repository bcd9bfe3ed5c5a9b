/**
 * Searches of one connection gathered into `_msearch` requests (group commit, as bulk-writer.ts
 * does for writes): a search waits for the request that carries it and gets its own answer, as
 * with a `_search` of its own. The searches of the rules that run together (a scheduler tick)
 * are queued in the same turn of the event loop and leave together; a search that arrives while
 * every request slot is taken waits for the next request.
 *
 * At most `maxInFlight` requests are under way at once (max_threads): the bound on what the rule
 * runs ask of Elasticsearch at a time, whatever the number of rules. Requests that are not
 * batched (point-in-time pages, scrolls) take a slot too (`solo`).
 *
 * One sub-search's error fails its caller alone; a failed request fails every search it carried.
 * A request with a single search goes as a plain `_search` (or `_count`), as before batching.
 */
import type { EsClient, SearchResult } from './es-api.ts';
import { RequestAbortedError } from './es-transport.ts';
import {
  DEFAULT_MSEARCH_CAPS,
  type MsearchCaps,
  type MsearchItem,
  itemBytes,
  itemHits,
  itemOutcome,
  msearchLines,
  planBatches,
} from './msearch-batches.ts';

export type CoalescedRequestKind = 'search' | 'count' | 'msearch';

export interface MsearchCoalescerOptions {
  caps?: Partial<MsearchCaps>;
  /** Requests under way at once at most (default 10, ElastAlert 2's max_threads). */
  maxInFlight?: number;
  /**
   * Hits the batched requests under way may ask for together (default twice caps.maxHits): their
   * answers are held in memory at once. A request over it waits until others answered, unless
   * nothing else is under way.
   */
  maxHitsInFlight?: number;
  /** How long the first queued search waits for company (ms); 0: the end of the current turn. */
  lingerMs?: number;
  /** Called for every request sent, with the number of searches it carried. */
  onRequest?: (kind: CoalescedRequestKind, searches: number) => void;
}

/** A search to run: the `_msearch` header and body, and whether it is a count (`hits.total` only). */
export interface CoalescedSearch extends MsearchItem {
  count?: boolean;
}

export interface MsearchCoalescer {
  search<T = Record<string, unknown>>(
    search: CoalescedSearch,
    signal?: AbortSignal,
  ): Promise<SearchResult<T>>;
  /** Runs a request that is not batched (a point-in-time page, a scroll) in one of the slots. */
  solo<T>(request: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

interface Queued {
  search: CoalescedSearch;
  bytes: number;
  hits: number;
  resolve: (r: SearchResult) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  settled: boolean;
  /** Stops listening to the caller's signal (a long-lived signal must not gather listeners). */
  unlisten: () => void;
}

/** As the transport says it of a request given up: the callers' error mapping stays the same. */
const aborted = (_signal: AbortSignal) => new RequestAbortedError();

/** The parameters of a `_search` (or `_count`) of one search's header and body. */
function soloParams(s: CoalescedSearch): Record<string, unknown> {
  const { index, ...options } = s.header;
  if (s.count) {
    const { query } = s.body;
    return { index, ...options, ...(query !== undefined ? { query } : {}) };
  }
  return { index, ...options, ...s.body };
}

export function createMsearchCoalescer(
  client: EsClient,
  options: MsearchCoalescerOptions = {},
): MsearchCoalescer {
  const caps: MsearchCaps = { ...DEFAULT_MSEARCH_CAPS, ...options.caps };
  const maxInFlight = Math.max(1, options.maxInFlight ?? 10);
  const maxHitsInFlight = options.maxHitsInFlight ?? 2 * caps.maxHits;
  let hitsInFlight = 0;
  const lingerMs = options.lingerMs ?? 0;
  const note = options.onRequest ?? (() => {});
  let queue: Queued[] = [];
  const soloWaiting: (() => void)[] = [];
  let inFlight = 0;
  let timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;

  function settle(q: Queued, outcome: { result: SearchResult } | { error: unknown }): void {
    if (q.settled) return;
    q.settled = true;
    q.unlisten();
    if ('result' in outcome) q.resolve(outcome.result);
    else q.reject(outcome.error);
  }

  /** A slot came free: a waiting solo request first (it holds a point in time), else the queue. */
  function release(): void {
    inFlight--;
    const next = soloWaiting.shift();
    if (next) {
      inFlight++;
      next();
      return;
    }
    schedule();
  }

  function schedule(): void {
    if (timer !== undefined || queue.length === 0 || inFlight >= maxInFlight) return;
    const go = () => {
      timer = undefined;
      flush();
    };
    timer = lingerMs > 0 ? setTimeout(go, lingerMs) : setImmediate(go);
  }

  function flush(): void {
    queue = queue.filter((q) => !q.settled);
    while (queue.length > 0 && inFlight < maxInFlight) {
      const [first] = planBatches(queue, caps);
      const batch = queue.slice(0, first);
      const hits = batch.reduce((n, q) => n + q.hits, 0);
      // the answers under way are held in memory together: wait for some when there are many
      if (hitsInFlight > 0 && hitsInFlight + hits > maxHitsInFlight) return;
      queue = queue.slice(first);
      inFlight++;
      hitsInFlight += hits;
      void send(batch).finally(() => {
        hitsInFlight -= hits;
        release();
      });
    }
  }

  async function send(batch: Queued[]): Promise<void> {
    // the request is given up only when every search it carries was
    const controller = new AbortController();
    const signals = batch.map((q) => q.signal);
    const check = () => {
      if (signals.every((s) => s?.aborted)) controller.abort();
    };
    if (signals.every((s) => s !== undefined)) {
      for (const s of signals) s!.addEventListener('abort', check, { once: true });
      check();
    }
    try {
      await sendBatch(batch, controller.signal);
    } finally {
      for (const s of signals) s?.removeEventListener('abort', check);
    }
  }

  async function sendBatch(batch: Queued[], signal: AbortSignal): Promise<void> {
    if (batch.length === 1) {
      const q = batch[0]!;
      try {
        if (q.search.count) {
          note('count', 1);
          const res = await client.count(soloParams(q.search), { signal });
          settle(q, { result: { _shards: res._shards ?? {}, hits: { total: res.count, hits: [] } } });
        } else {
          note('search', 1);
          settle(q, { result: await client.search(soloParams(q.search), { signal }) });
        }
      } catch (error) {
        settle(q, { error });
      }
      return;
    }
    note('msearch', batch.length);
    try {
      const res = await client.msearch({ searches: msearchLines(batch.map((q) => q.search)) }, { signal });
      batch.forEach((q, i) => {
        const outcome = itemOutcome(res.responses[i], i);
        settle(q, outcome.ok ? { result: outcome.result } : { error: outcome.error });
      });
    } catch (error) {
      for (const q of batch) settle(q, { error });
    }
  }

  return {
    search<T>(search: CoalescedSearch, signal?: AbortSignal): Promise<SearchResult<T>> {
      return new Promise<SearchResult<T>>((resolve, reject) => {
        if (signal?.aborted) return reject(aborted(signal));
        const body = search.count
          ? { query: search.body.query, size: 0, track_total_hits: true }
          : search.body;
        const item = { header: search.header, body };
        const onAbort = () => settle(q, { error: aborted(signal!) });
        const q: Queued = {
          search: { ...item, ...(search.count ? { count: true } : {}) },
          bytes: itemBytes(item),
          hits: itemHits(item),
          resolve: resolve as (r: SearchResult) => void,
          reject,
          signal,
          settled: false,
          unlisten: () => signal?.removeEventListener('abort', onAbort),
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(q);
        schedule();
      });
    },

    async solo<T>(request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (inFlight < maxInFlight) inFlight++;
      else {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            const at = soloWaiting.indexOf(go);
            if (at < 0) return;
            soloWaiting.splice(at, 1);
            reject(aborted(signal!));
          };
          const go = () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          };
          soloWaiting.push(go);
          signal?.addEventListener('abort', onAbort, { once: true });
        });
      }
      try {
        return await request();
      } finally {
        release();
      }
    },
  };
}
