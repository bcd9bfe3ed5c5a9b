/**
 * The small typed client esalert uses for Elasticsearch and OpenSearch: exactly the operations the
 * engine, the writeback, the CLI, the tests and the benchmarks call, with the request shapes of the
 * official Elasticsearch client (parameters flat, split into query string and body here). Server
 * differences are the dialect's (server-dialect.ts); HTTP is the transport's (es-transport.ts).
 */
import type { Doc } from '../model/lookup.ts';
import { type EsTransport, type QueryValue, type RequestOptions, ResponseError } from './es-transport.ts';
import type { ServerDialect, ServerInfo } from './server-dialect.ts';

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Milliseconds; overrides the connection's es_conn_timeout for this call. */
  requestTimeout?: number | undefined;
  /** Accepted for the official client's call shape; this client never repeats a request on its own. */
  maxRetries?: number;
}

type Params = Record<string, unknown>;

export interface ShardStatistics {
  total?: number;
  successful?: number;
  failed?: number;
  failures?: { reason?: unknown }[];
}

export interface SearchHitResult<T> {
  _index: string;
  _id: string;
  _type?: string;
  _score?: number | null;
  _source?: T;
  fields?: Record<string, unknown>;
  sort?: unknown[];
  /** With seq_no_primary_term: true (optimistic concurrency). */
  _seq_no?: number;
  _primary_term?: number;
}

export interface SearchResult<T = Doc> {
  took?: number;
  timed_out?: boolean;
  _shards?: ShardStatistics;
  hits: {
    total?: number | { value: number; relation: string };
    max_score?: number | null;
    hits: SearchHitResult<T>[];
  };
  aggregations?: Record<string, unknown>;
  pit_id?: string;
  _scroll_id?: string;
}

export interface WriteResult {
  _index: string;
  _id: string;
  result?: string;
  _version?: number;
  _seq_no?: number;
  _primary_term?: number;
}

export interface GetResult<T> {
  _index: string;
  _id: string;
  found: boolean;
  _source?: T;
  _seq_no?: number;
  _primary_term?: number;
}

export interface BulkResult {
  took?: number;
  errors: boolean;
  items: Record<
    string,
    {
      _index?: string;
      _id?: string;
      status: number;
      error?: unknown;
      _seq_no?: number;
      _primary_term?: number;
    }
  >[];
}

/** Parameters that travel in the query string, per API; every other parameter is the body's. */
const SEARCH_QS = [
  'ignore_unavailable',
  'allow_no_indices',
  'expand_wildcards',
  '_source_includes',
  '_source_excludes',
  'routing',
  'preference',
  'scroll',
  'search_type',
  'request_cache',
  'typed_keys',
  'rest_total_hits_as_int',
  'filter_path',
  'allow_partial_search_results',
  'batched_reduce_size',
  'max_concurrent_shard_requests',
];
const COUNT_QS = ['ignore_unavailable', 'allow_no_indices', 'expand_wildcards', 'routing', 'preference', 'q'];
const WRITE_QS = ['refresh', 'routing', 'op_type', 'pipeline', 'if_seq_no', 'if_primary_term', 'timeout'];
const UPDATE_QS = ['refresh', 'routing', 'retry_on_conflict', 'if_seq_no', 'if_primary_term', 'timeout'];
const GET_QS = [
  '_source_includes',
  '_source_excludes',
  '_source',
  'routing',
  'preference',
  'realtime',
  'refresh',
];
const INDICES_QS = [
  'ignore_unavailable',
  'allow_no_indices',
  'expand_wildcards',
  'timeout',
  'master_timeout',
];

function split(params: Params, qsKeys: readonly string[], omit: readonly string[] = []) {
  const querystring: Record<string, QueryValue> = {};
  const body: Params = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || omit.includes(k)) continue;
    if (qsKeys.includes(k)) querystring[k] = v as QueryValue;
    else body[k] = v;
  }
  return { querystring, body };
}

const path = (...parts: (string | undefined)[]) =>
  `/${parts
    .filter((p): p is string => p !== undefined && p !== '')
    .map((p) => (p.startsWith('_') && !p.includes(',') ? p : encodeURIComponent(p)))
    .join('/')}`;

const indexList = (index: unknown): string | undefined =>
  index === undefined ? undefined : Array.isArray(index) ? index.join(',') : String(index);

const req = (o: CallOptions | undefined, extra: Partial<RequestOptions> = {}): RequestOptions => ({
  signal: o?.signal,
  timeoutMs: o?.requestTimeout,
  ...extra,
});

export interface EsClient {
  readonly server: ServerInfo;
  readonly dialect: ServerDialect;
  readonly transport: EsTransport;
  search<T = Doc>(params: Params, options?: CallOptions): Promise<SearchResult<T>>;
  count(params: Params, options?: CallOptions): Promise<{ count: number; _shards?: ShardStatistics }>;
  msearch<T = Doc>(
    params: { index?: string; searches: Params[] },
    options?: CallOptions,
  ): Promise<{ responses: (SearchResult<T> & { error?: unknown; status?: number })[] }>;
  bulk(
    params: { index?: string; operations: unknown[]; refresh?: boolean | 'wait_for' },
    options?: CallOptions,
  ): Promise<BulkResult>;
  index(params: Params, options?: CallOptions): Promise<WriteResult>;
  create(params: Params, options?: CallOptions): Promise<WriteResult>;
  update(params: Params, options?: CallOptions): Promise<WriteResult>;
  delete(params: Params, options?: CallOptions): Promise<WriteResult>;
  get<T = Doc>(params: Params, options?: CallOptions): Promise<GetResult<T>>;
  /** Several documents of one index by id, in real time (as get). */
  mget<T = Doc>(
    params: { index: string; ids: string[] },
    options?: CallOptions,
  ): Promise<{ docs: GetResult<T>[] }>;
  openPointInTime(
    params: { index: string; keep_alive: string; ignore_unavailable?: boolean },
    options?: CallOptions,
  ): Promise<{ id: string }>;
  closePointInTime(params: { id: string }, options?: CallOptions): Promise<void>;
  scroll<T = Doc>(
    params: { scroll_id: string; scroll: string },
    options?: CallOptions,
  ): Promise<SearchResult<T>>;
  clearScroll(params: { scroll_id: string }, options?: CallOptions): Promise<void>;
  /** Which indices `index` matches, and how they map `fields` (missing indices are no error). */
  fieldCaps(
    params: { index: string; fields: string[] },
    options?: CallOptions,
  ): Promise<{ indices?: string[]; fields: Record<string, Record<string, unknown>> }>;
  /** True when the server answers HEAD / with 2xx. */
  ping(params?: Params, options?: CallOptions): Promise<boolean>;
  info(
    params?: Params,
    options?: CallOptions,
  ): Promise<{ version?: { number?: string; distribution?: string } }>;
  indices: {
    exists(params: { index: string }, options?: CallOptions): Promise<boolean>;
    create(params: Params, options?: CallOptions): Promise<unknown>;
    delete(params: Params, options?: CallOptions): Promise<unknown>;
    refresh(params: Params, options?: CallOptions): Promise<unknown>;
    putSettings(params: { index: string; settings: Params }, options?: CallOptions): Promise<unknown>;
    putIndexTemplate(params: Params, options?: CallOptions): Promise<unknown>;
    deleteIndexTemplate(params: { name: string }, options?: CallOptions): Promise<unknown>;
    analyze(
      params: Params,
      options?: CallOptions,
    ): Promise<{ tokens?: { token: string; position: number }[] }>;
  };
  nodes: {
    info(
      params?: { metric?: string },
      options?: CallOptions,
    ): Promise<{
      nodes: Record<string, { version?: string; modules?: { name: string }[]; plugins?: { name: string }[] }>;
    }>;
  };
  helpers: {
    /** Every document (its _source) a query matches, page by page (point in time or scroll, per server). */
    scrollDocuments<T = Doc>(params: Params & { index: string }, options?: CallOptions): AsyncIterable<T>;
  };
  close(): Promise<void>;
}

export function createEsClient(transport: EsTransport, dialect: ServerDialect): EsClient {
  const t = transport;
  const call = async <T>(
    r: Parameters<EsTransport['request']>[0],
    o?: CallOptions,
    extra?: Partial<RequestOptions>,
  ): Promise<T> => (await t.request<T>(r, req(o, extra))).body;

  const searchBody = (body: Params) => dialect.searchBody(body);

  const client: EsClient = {
    server: dialect.server,
    dialect,
    transport,
    async search<T>(params: Params, o?: CallOptions) {
      const { querystring, body } = split(params, SEARCH_QS, ['index']);
      const index = body.pit ? undefined : indexList(params.index);
      return call<SearchResult<T>>(
        { method: 'POST', path: path(index, '_search'), querystring, body: searchBody(body) },
        o,
      );
    },
    async count(params, o) {
      const { querystring, body } = split(params, COUNT_QS, ['index']);
      return call(
        {
          method: 'POST',
          path: path(indexList(params.index), '_count'),
          querystring,
          ...(Object.keys(body).length ? { body } : {}),
        },
        o,
      );
    },
    async msearch<T>(params: { index?: string; searches: Params[] }, o?: CallOptions) {
      // header, body, header, body...: bodies get the dialect's words
      const lines = params.searches.map((l, i) => (i % 2 === 1 ? searchBody(l) : l));
      return call<{ responses: (SearchResult<T> & { error?: unknown; status?: number })[] }>(
        { method: 'POST', path: path(params.index, '_msearch'), bulkBody: lines },
        o,
      );
    },
    async bulk(params, o) {
      return call<BulkResult>(
        {
          method: 'POST',
          path: path(params.index, '_bulk'),
          querystring: { refresh: params.refresh },
          bulkBody: params.operations,
        },
        o,
      );
    },
    async index(params, o) {
      const { querystring } = split(params, WRITE_QS);
      const id = params.id === undefined ? undefined : String(params.id);
      return call(
        {
          method: id === undefined ? 'POST' : 'PUT',
          path: path(String(params.index), '_doc', id),
          querystring,
          body: params.document ?? {},
        },
        o,
      );
    },
    async create(params, o) {
      const { querystring } = split(params, WRITE_QS);
      return call(
        {
          method: 'PUT',
          path: path(String(params.index), '_create', String(params.id)),
          querystring,
          body: params.document ?? {},
        },
        o,
      );
    },
    async update(params, o) {
      const { querystring, body } = split(params, UPDATE_QS, ['index', 'id']);
      return call(
        { method: 'POST', path: path(String(params.index), '_update', String(params.id)), querystring, body },
        o,
      );
    },
    async delete(params, o) {
      const { querystring } = split(params, WRITE_QS, ['index', 'id']);
      return call(
        { method: 'DELETE', path: path(String(params.index), '_doc', String(params.id)), querystring },
        o,
      );
    },
    async get<T>(params: Params, o?: CallOptions) {
      const { querystring } = split(params, GET_QS, ['index', 'id']);
      return call<GetResult<T>>(
        { method: 'GET', path: path(String(params.index), '_doc', String(params.id)), querystring },
        o,
      );
    },
    async mget<T>(params: { index: string; ids: string[] }, o?: CallOptions) {
      return call<{ docs: GetResult<T>[] }>(
        { method: 'POST', path: path(params.index, '_mget'), body: { ids: params.ids } },
        o,
      );
    },
    async openPointInTime(params, o) {
      const r = dialect.openPit(params.index, params.keep_alive);
      return { id: dialect.pitIdOf(await call(r, o)) };
    },
    async closePointInTime(params, o) {
      await call(dialect.closePit(params.id), o, { ignore: [404] });
    },
    async scroll<T>(params: { scroll_id: string; scroll: string }, o?: CallOptions) {
      return call<SearchResult<T>>({ method: 'POST', path: '/_search/scroll', body: params }, o);
    },
    async clearScroll(params, o) {
      await call({ method: 'DELETE', path: '/_search/scroll', body: { scroll_id: params.scroll_id } }, o, {
        ignore: [404],
      });
    },
    async fieldCaps(params, o) {
      return call(
        {
          method: 'GET',
          path: path(params.index, '_field_caps'),
          querystring: { fields: params.fields.join(','), ignore_unavailable: true, allow_no_indices: true },
        },
        o,
      );
    },
    async ping(_params, o) {
      const res = await t.request({ method: 'HEAD', path: '/' }, req(o, { ignore: [404, 405] }));
      return res.statusCode < 300;
    },
    async info(_params, o) {
      return call({ method: 'GET', path: '/' }, o);
    },
    indices: {
      async exists(params, o) {
        const res = await t.request({ method: 'HEAD', path: path(params.index) }, req(o, { ignore: [404] }));
        return res.statusCode < 300;
      },
      async create(params, o) {
        const { querystring, body } = split(
          params,
          ['timeout', 'master_timeout', 'wait_for_active_shards'],
          ['index'],
        );
        return call({ method: 'PUT', path: path(String(params.index)), querystring, body }, o);
      },
      async delete(params, o) {
        const { querystring } = split(params, INDICES_QS, ['index']);
        return call({ method: 'DELETE', path: path(indexList(params.index)), querystring }, o);
      },
      async refresh(params, o) {
        const { querystring } = split(params, INDICES_QS, ['index']);
        return call({ method: 'POST', path: path(indexList(params.index), '_refresh'), querystring }, o);
      },
      async putSettings(params, o) {
        return call({ method: 'PUT', path: path(params.index, '_settings'), body: params.settings }, o);
      },
      async putIndexTemplate(params, o) {
        const { body } = split(params, [], ['name']);
        return call({ method: 'PUT', path: path('_index_template', String(params.name)), body }, o);
      },
      async deleteIndexTemplate(params, o) {
        return call({ method: 'DELETE', path: path('_index_template', params.name) }, o);
      },
      async analyze(params, o) {
        const { body } = split(params, [], ['index']);
        return call({ method: 'POST', path: path(indexList(params.index), '_analyze'), body }, o);
      },
    },
    nodes: {
      async info(params = {}, o) {
        return call({ method: 'GET', path: path('_nodes', params.metric) }, o);
      },
    },
    helpers: {
      async *scrollDocuments<T>(params: Params & { index: string }, o?: CallOptions): AsyncIterable<T> {
        for await (const page of scrollPages<T>(client, params, o))
          for (const h of page) yield h._source as T;
      },
    },
    close: () => t.close(),
  };
  return client;
}

/** Pages of every hit of a search, through a point in time or a scroll, as the server offers. */
async function* scrollPages<T>(
  client: EsClient,
  params: Params & { index: string },
  o?: CallOptions,
): AsyncIterable<SearchHitResult<T>[]> {
  const keepAlive = '1m';
  const size = typeof params.size === 'number' ? params.size : 1000;
  if (client.dialect.paging === 'pit') {
    let pit = (await client.openPointInTime({ index: params.index, keep_alive: keepAlive }, o)).id;
    try {
      let after: unknown[] | undefined;
      for (;;) {
        const { index: _ignored, ...rest } = params;
        const res = await client.search<T>(
          {
            ...rest,
            size,
            pit: { id: pit, keep_alive: keepAlive },
            sort: [{ _shard_doc: { order: 'asc' } }],
            ...(after ? { search_after: after } : {}),
          },
          o,
        );
        if (res.pit_id) pit = res.pit_id;
        const hits = res.hits.hits;
        if (hits.length) yield hits;
        if (hits.length < size) return;
        after = hits.at(-1)!.sort;
      }
    } finally {
      await client.closePointInTime({ id: pit }).catch(() => {});
    }
  }
  let res = await client.search<T>({ ...params, size, scroll: keepAlive, sort: ['_doc'] }, o);
  let scrollId = res._scroll_id;
  try {
    while (res.hits.hits.length) {
      yield res.hits.hits;
      if (!scrollId) return;
      res = await client.scroll<T>({ scroll_id: scrollId, scroll: keepAlive }, o);
      scrollId = res._scroll_id ?? scrollId;
    }
  } finally {
    if (scrollId) await client.clearScroll({ scroll_id: scrollId }).catch(() => {});
  }
}

export { ResponseError };
