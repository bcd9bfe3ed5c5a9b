/**
 * Every difference between the servers esalert talks to (Elasticsearch 7.x, 8.x, 9.x and OpenSearch
 * 1.x, 2.x, 3.x), in one place. The rest of the program speaks Elasticsearch's current API; the
 * client (es-api.ts) asks the dialect how to say it to the server it is connected to.
 *
 * | difference                 | Elasticsearch                          | OpenSearch                                  |
 * | -------------------------- | -------------------------------------- | ------------------------------------------- |
 * | point in time              | POST /{index}/_pit (7.10+), DELETE /_pit {id} | POST /{index}/_search/point_in_time (2.4+), DELETE /_search/point_in_time {pit_id: [id]} |
 * | PIT tiebreaker sort        | _shard_doc (7.12+)                     | none: _doc, then _id                        |
 * | no PIT (ES < 7.10, OS < 2.4, or the endpoint is missing) | scroll | scroll                                      |
 * | date_histogram interval    | fixed_interval (7.2+), interval before | fixed_interval                              |
 * | compatibility headers      | plain application/json on every version: the versioned media types (compatible-with=N) are only needed by clients that send them | plain application/json |
 * | track_total_hits, typeless _doc APIs, composable templates, composite aggregations | 7.x and later: the same; 7.x adds `_type: "_doc"` to hits, which nothing reads | the same |
 */
import { EsalertError } from '../errors/esalert-error.ts';
import type { TransportRequest } from './es-transport.ts';

export type Distribution = 'elasticsearch' | 'opensearch';

export interface ServerInfo {
  version: string;
  major: number;
  minor: number;
  distribution: Distribution;
}

/** "Elasticsearch 8.19.2" / "OpenSearch 2.19.6". */
export function describeServer(server: ServerInfo): string {
  return `${server.distribution === 'opensearch' ? 'OpenSearch' : 'Elasticsearch'} ${server.version}`;
}

/**
 * A version as GET / reports it, or as ES_VERSION gives it: "8.19.2", or for OpenSearch
 * "opensearch-2.19.6" / "opensearch:2.19" / "opensearch 2".
 */
export function parseServerVersion(text: string, distribution?: Distribution): ServerInfo {
  const m = /^\s*(?:(elasticsearch|opensearch)[-:/ ]?)?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?([-.\w]*)\s*$/i.exec(
    text,
  );
  if (!m) {
    throw new EsalertError(
      'ES_VERSION_UNSUPPORTED',
      `cannot read the server version "${text}" (expected e.g. 8.19.2, or opensearch-2.19.6 for OpenSearch)`,
    );
  }
  const dist = (m[1]?.toLowerCase() as Distribution | undefined) ?? distribution ?? 'elasticsearch';
  const version = [m[2], m[3] ?? '0', m[4] ?? '0'].join('.') + (m[5] ?? '');
  return { version, major: Number(m[2]), minor: Number(m[3] ?? 0), distribution: dist };
}

/** Refuses servers esalert cannot talk to. */
export function checkSupported(server: ServerInfo): void {
  if (server.distribution === 'elasticsearch' && server.major < 7) {
    throw new EsalertError(
      'ES_VERSION_UNSUPPORTED',
      `${describeServer(server)} is not supported (Elasticsearch 7.x or later, or OpenSearch, is needed)`,
    );
  }
}

const atLeast = (s: ServerInfo, major: number, minor: number) =>
  s.major > major || (s.major === major && s.minor >= minor);

export type PagingMode = 'pit' | 'scroll';

export interface ServerDialect {
  readonly server: ServerInfo;
  /** How deep pages are read: a point in time with search_after, or the scroll API. */
  readonly paging: PagingMode;
  openPit(index: string, keepAlive: string): TransportRequest;
  pitIdOf(body: unknown): string;
  closePit(id: string): TransportRequest;
  /** A search body said in this server's words (sort tiebreaker, date_histogram interval). */
  searchBody(body: Record<string, unknown>): Record<string, unknown>;
}

const SHARD_DOC = '_shard_doc';

function isShardDocSort(s: unknown): boolean {
  return s === SHARD_DOC || (typeof s === 'object' && s !== null && SHARD_DOC in s);
}

/** Renames fixed_interval/calendar_interval to `interval` in every date_histogram (Elasticsearch < 7.2). */
function legacyIntervals(aggs: unknown): unknown {
  if (Array.isArray(aggs)) return aggs.map(legacyIntervals);
  if (!aggs || typeof aggs !== 'object') return aggs;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(aggs as Record<string, unknown>)) {
    if (k === 'date_histogram' && v && typeof v === 'object') {
      const { fixed_interval, calendar_interval, ...rest } = v as Record<string, unknown>;
      out[k] = { ...rest, interval: fixed_interval ?? calendar_interval };
    } else out[k] = legacyIntervals(v);
  }
  return out;
}

export function createServerDialect(
  server: ServerInfo,
  options: { paging?: PagingMode } = {},
): ServerDialect {
  const os = server.distribution === 'opensearch';
  const hasPit = os ? atLeast(server, 2, 4) : atLeast(server, 7, 10);
  const shardDoc = !os && atLeast(server, 7, 12);
  const oldIntervals = !os && !atLeast(server, 7, 2);
  const paging: PagingMode = options.paging ?? (hasPit ? 'pit' : 'scroll');
  return {
    server,
    paging,
    openPit(index, keepAlive) {
      const querystring = { keep_alive: keepAlive, ignore_unavailable: true };
      return os
        ? { method: 'POST', path: `/${encodeURIComponent(index)}/_search/point_in_time`, querystring }
        : { method: 'POST', path: `/${encodeURIComponent(index)}/_pit`, querystring };
    },
    pitIdOf(body) {
      const b = body as { id?: unknown; pit_id?: unknown };
      const id = os ? b.pit_id : b.id;
      if (typeof id !== 'string')
        throw new EsalertError('ES_QUERY_FAILED', 'the server opened no point in time');
      return id;
    },
    closePit(id) {
      return os
        ? { method: 'DELETE', path: '/_search/point_in_time', body: { pit_id: [id] } }
        : { method: 'DELETE', path: '/_pit', body: { id } };
    },
    searchBody(body) {
      let out = body;
      const sort = body.sort;
      if (Array.isArray(sort) && !shardDoc && sort.some(isShardDocSort)) {
        // No _shard_doc: _doc (index order inside the point in time, as a scroll returns ties) then
        // _id (unique across shards) break ties instead. The lowest tiebreaker (-1) becomes [-1, ""];
        // a search_after taken from a hit already has both values.
        const at = sort.findIndex(isShardDocSort);
        const after = body.search_after;
        out = {
          ...out,
          sort: sort.flatMap((s) =>
            isShardDocSort(s) ? [{ _doc: { order: 'asc' } }, { _id: { order: 'asc' } }] : [s],
          ),
          ...(Array.isArray(after) && after.length === sort.length && typeof after[at] === 'number'
            ? { search_after: [...after.slice(0, at), after[at], '', ...after.slice(at + 1)] }
            : {}),
        };
      }
      if (oldIntervals && out.aggs) out = { ...out, aggs: legacyIntervals(out.aggs) };
      return out;
    },
  };
}
