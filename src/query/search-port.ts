/**
 * What the engine needs from a search backend: Elasticsearch in production, an in-memory
 * evaluator for offline runs and tests. Requests and responses use Elasticsearch's shapes.
 */
import type { Doc } from '../model/lookup.ts';
import type { EsQuery } from './filters.ts';

export type SortSpec = Record<string, { order: 'asc' | 'desc' }> | string;

export interface SearchRequest {
  index: string;
  query: EsQuery;
  size: number;
  sort?: SortSpec[];
  searchAfter?: unknown[];
  /** Fields of _source to return; undefined returns the whole document. */
  sourceIncludes?: string[];
  aggs?: Record<string, unknown>;
  /** Applied to the hits (and their total) only, after the aggregations: Elasticsearch's post_filter. */
  postFilter?: EsQuery;
  trackTotalHits?: boolean;
  /** Search inside a point in time (then `index` is not sent). */
  pit?: { id: string; keepAlive: string };
}

export interface SearchHit {
  _id: string;
  _index: string;
  /** The mapping type Elasticsearch 7.x still reports ("_doc"); absent from 8.x on and on OpenSearch 2+. */
  _type?: string;
  _source?: Doc;
  fields?: Record<string, unknown>;
  sort?: unknown[];
}

export interface SearchResponse {
  hits: SearchHit[];
  /** Total matching documents, when tracked. */
  total?: number;
  aggregations?: Record<string, unknown>;
  /** A point in time id the server may have refreshed. */
  pitId?: string;
}

export interface SearchPort {
  search(request: SearchRequest, signal?: AbortSignal): Promise<SearchResponse>;
  count(index: string, query: EsQuery, signal?: AbortSignal): Promise<number>;
  /** Opens a point in time for consistent paging; undefined when the backend has none. */
  openPointInTime?(index: string, keepAlive: string, signal?: AbortSignal): Promise<string>;
  closePointInTime?(id: string): Promise<void>;
}
