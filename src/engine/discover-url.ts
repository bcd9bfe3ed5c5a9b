/**
 * Kibana and OpenSearch Dashboards Discover links for a match, in ElastAlert 2's URL formats:
 * `<app url>?_g=<global state>&_a=<app state>` (OpenSearch adds `&_q=<filters and query>`), each
 * state written in Rison and quoted as Python's urllib quotes, the time range the match's time
 * minus/plus the offsets (default: the rule's timeframe, else 10 minutes), the rule's filters as
 * one custom filter and each query_key as a phrase filter (or "does not exist" when the match has
 * no value). Pure: everything it needs is passed in.
 */
import type {
  DiscoverLinkSettings,
  DiscoverSettings,
  KibanaDiscoverFormat,
} from '../model/discover-settings.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { pythonJsonDumps, pythonQuote, pythonQuotePlus, rison } from '../util/rison.ts';
import { toIso } from '../util/time.ts';

const DEFAULT_OFFSET_MS = 10 * 60_000;

export interface DiscoverInput {
  /** The rule's filters, `query` wrappers already removed. */
  filters: readonly unknown[];
  /** query_key, or the fields of a compound query_key. */
  queryKeys: readonly string[];
  timeframeMs: number | undefined;
  /** The match's time (epoch ms), read with the rule's timestamp_type. */
  matchTime: number;
}

function timeRange(s: DiscoverLinkSettings, input: DiscoverInput): { from: string; to: string } {
  const fallback = input.timeframeMs ?? DEFAULT_OFFSET_MS;
  return {
    from: toIso(input.matchTime - (s.fromMs ?? fallback)),
    to: toIso(input.matchTime + (s.toMs ?? fallback)),
  };
}

function globalState(
  format: KibanaDiscoverFormat | 'opensearch',
  range: { from: string; to: string },
): string {
  if (format === 'kibana6') {
    return rison({
      refreshInterval: { pause: true, value: 0 },
      time: { from: range.from, mode: 'absolute', to: range.to },
    });
  }
  return rison({ filters: [], refreshInterval: { pause: true, value: 0 }, time: range });
}

/** ElastAlert 2 collapses empty and one-element values before building Kibana's phrase filter. */
function normalizedKibanaValue(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) {
    const kept = value.filter((v) => v !== null && v !== undefined && v !== '');
    if (kept.length === 0) return undefined;
    return kept.length === 1 ? kept[0] : kept;
  }
  return value;
}

function queryKeyFilter(key: string, value: unknown, index: string, opensearch: boolean): Doc {
  if (value === undefined) {
    return {
      $state: { store: 'appState' },
      exists: { field: key },
      meta: {
        alias: null,
        disabled: false,
        index,
        key,
        negate: true,
        type: 'exists',
        ...(opensearch ? { view: 'discover' } : {}),
        value: 'exists',
      },
    };
  }
  return {
    $state: { store: 'appState' },
    meta: {
      alias: null,
      disabled: false,
      index,
      key,
      negate: false,
      params: { query: value, type: 'phrase' },
      type: 'phrase',
      value: pythonStr(value),
    },
    query: { match: { [key]: { query: value, type: 'phrase' } } },
  };
}

function kibanaAppState(s: DiscoverLinkSettings, input: DiscoverInput, match: Doc): string {
  const filters: Doc[] = [];
  if (input.filters.length) {
    const bool = { must: input.filters };
    filters.push({
      $state: { store: 'appState' },
      bool,
      meta: {
        alias: 'filter',
        disabled: false,
        index: s.indexPatternId,
        key: 'bool',
        negate: false,
        type: 'custom',
        value: pythonJsonDumps(bool),
      },
    });
  }
  for (const key of input.queryKeys) {
    filters.push(
      queryKeyFilter(key, normalizedKibanaValue(lookupField(match, key)), s.indexPatternId, false),
    );
  }
  return rison({ columns: s.columns, filters, index: s.indexPatternId, interval: 'auto' });
}

/** Python's urljoin for the cases that occur: an absolute URL stays, a relative one is resolved against the base. */
function joinUrl(base: string | undefined, url: string): string {
  if (!base || /^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

/** ElastAlert 2's append_security_tenant: `security_tenant=<tenant>` added to the URL's query (before any #). */
function withSecurityTenant(url: string, tenant: string): string {
  const hash = url.indexOf('#');
  const head = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? '' : url.slice(hash);
  const q = head.indexOf('?');
  const path = q < 0 ? head : head.slice(0, q);
  const pairs = (q < 0 ? '' : head.slice(q + 1))
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const decode = (t: string) => decodeURIComponent(t.replace(/\+/g, ' '));
      return eq < 0 ? [decode(p), ''] : [decode(p.slice(0, eq)), decode(p.slice(eq + 1))];
    });
  pairs.push(['security_tenant', tenant]);
  return `${path}?${pairs.map(([k, v]) => `${pythonQuotePlus(k!)}=${pythonQuotePlus(v!)}`).join('&')}${fragment}`;
}

/** ElastAlert 2's external URL formatter: a relative link resolved against kibana_url, then the security tenant. */
export function externalUrl(url: string, baseUrl?: string, securityTenant?: string): string {
  const joined = joinUrl(baseUrl, url);
  return securityTenant ? withSecurityTenant(joined, securityTenant) : joined;
}

/** The kibana_discover_url of a match (ElastAlert 2's generate_kibana_discover_url and its formatter). */
export function kibanaDiscoverUrl(
  s: NonNullable<DiscoverSettings['kibana']>,
  input: DiscoverInput,
  match: Doc,
): string {
  const g = globalState(s.format, timeRange(s, input));
  const a = kibanaAppState(s, input, match);
  return externalUrl(`${s.appUrl}?_g=${pythonQuote(g)}&_a=${pythonQuote(a)}`, s.baseUrl, s.securityTenant);
}

function opensearchFilters(s: DiscoverLinkSettings, input: DiscoverInput, match: Doc): string {
  const filters: Doc[] = [];
  if (input.filters.length) {
    const bool = { bool: { must: input.filters } };
    filters.push({
      $state: { store: 'appState' },
      meta: {
        alias: 'filter',
        disabled: false,
        index: s.indexPatternId,
        key: 'query',
        negate: false,
        type: 'custom',
        value: pythonJsonDumps(bool),
      },
      query: bool,
    });
  }
  for (const key of input.queryKeys) {
    filters.push(queryKeyFilter(key, lookupField(match, key), s.indexPatternId, true));
  }
  // ElastAlert 2 writes this key and renames it to `query` in the finished URL (first occurrence)
  return rison({ filters, tobereplacedbylucenequery: { language: 'lucene', query: '' } });
}

/** The opensearch_discover_url of a match (ElastAlert 2's generate_opensearch_discover_url and its formatter). */
export function opensearchDiscoverUrl(s: DiscoverLinkSettings, input: DiscoverInput, match: Doc): string {
  const g = globalState('opensearch', timeRange(s, input));
  const a = rison({
    discover: { columns: s.columns, isDirty: false, sort: [] },
    metadata: { indexPattern: s.indexPatternId, view: 'discover' },
  });
  const q = opensearchFilters(s, input, match);
  const url = `${s.appUrl}?_g=${pythonQuote(g)}&_a=${pythonQuote(a)}&_q=${pythonQuote(q)}`.replace(
    'tobereplacedbylucenequery',
    'query',
  );
  return externalUrl(url, s.baseUrl);
}

/** The discover URL fields a match gets: kibana_discover_url and/or opensearch_discover_url. */
export function discoverUrls(settings: DiscoverSettings | undefined, input: DiscoverInput, match: Doc): Doc {
  if (!settings) return {};
  return {
    ...(settings.kibana ? { kibana_discover_url: kibanaDiscoverUrl(settings.kibana, input, match) } : {}),
    ...(settings.opensearch
      ? { opensearch_discover_url: opensearchDiscoverUrl(settings.opensearch, input, match) }
      : {}),
  };
}
