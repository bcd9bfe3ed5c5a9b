/**
 * The pure part of gathering searches into `_msearch` requests: how queued searches are split into
 * requests under the caps (searches, bytes and requested hits per request), the NDJSON lines of
 * one request, and what each sub-search's answer means for its caller (a result, or an error of
 * that search alone). The coalescer (msearch-coalescer.ts) owns the queue and the timing.
 */
import type { Doc } from '../model/lookup.ts';
import type { SearchResult } from './es-api.ts';
import { ResponseError } from './es-transport.ts';

/** One search as `_msearch` carries it: a header line (index and its options) and a body line. */
export interface MsearchItem {
  header: Record<string, unknown>;
  body: Record<string, unknown>;
}

export interface MsearchCaps {
  /** Searches per request at most. */
  maxSearches: number;
  /** Bytes of NDJSON per request at most (a single larger search still goes, alone). */
  maxBytes: number;
  /**
   * Hits the searches of one request may ask for together (the sum of their `size`): what one
   * answer can hold in memory. A single search asking for more still goes, alone.
   */
  maxHits: number;
}

export const DEFAULT_MSEARCH_CAPS: MsearchCaps = {
  maxSearches: 100,
  maxBytes: 1024 * 1024,
  maxHits: 20_000,
};

/** The size of an item's two NDJSON lines. */
export function itemBytes(item: MsearchItem): number {
  return Buffer.byteLength(JSON.stringify(item.header)) + Buffer.byteLength(JSON.stringify(item.body)) + 2;
}

/** The hits an item asks for (`size`, default 10 as Elasticsearch's). */
export function itemHits(item: MsearchItem): number {
  const size = item.body.size;
  return typeof size === 'number' && size >= 0 ? size : 10;
}

/**
 * Splits items, in order, into consecutive requests that stay under every cap; an item over a cap
 * by itself makes a request of its own. Returns the number of items of each request.
 */
export function planBatches(items: readonly { bytes: number; hits: number }[], caps: MsearchCaps): number[] {
  const sizes: number[] = [];
  let n = 0;
  let bytes = 0;
  let hits = 0;
  for (const it of items) {
    const fits =
      n > 0 && n < caps.maxSearches && bytes + it.bytes <= caps.maxBytes && hits + it.hits <= caps.maxHits;
    if (n > 0 && !fits) {
      sizes.push(n);
      n = 0;
      bytes = 0;
      hits = 0;
    }
    n++;
    bytes += it.bytes;
    hits += it.hits;
  }
  if (n > 0) sizes.push(n);
  return sizes;
}

/** The lines of one `_msearch` request: header, body, header, body... */
export function msearchLines(items: readonly MsearchItem[]): Doc[] {
  return items.flatMap((it) => [it.header, it.body]);
}

/** One sub-search's answer, as `_msearch` returns it. */
export type MsearchResponseItem = SearchResult & { error?: unknown; status?: number };

export type ItemOutcome = { ok: true; result: SearchResult } | { ok: false; error: ResponseError };

/**
 * What one sub-search's answer means: its result, or the error a `_search` of its own would have
 * thrown (an HTTP error with the same status and body), so its caller sees no difference.
 */
export function itemOutcome(item: MsearchResponseItem | undefined, position: number): ItemOutcome {
  if (!item) {
    return {
      ok: false,
      error: new ResponseError(
        502,
        { error: { type: 'msearch_response', reason: `the _msearch response has no answer ${position}` } },
        'search',
      ),
    };
  }
  if (item.error !== undefined) {
    const status = typeof item.status === 'number' && item.status >= 400 ? item.status : 500;
    return { ok: false, error: new ResponseError(status, { error: item.error, status }, 'search') };
  }
  return { ok: true, result: item };
}
