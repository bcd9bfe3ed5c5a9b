/** What flows from a query through a rule type to the alert path. */
import type { Doc } from './lookup.ts';

/** A hit from the query: the document (_source with _id/_index folded in) and its timestamp. */
export interface Hit {
  doc: Doc;
  ts: number;
}

/** One bucket of a terms aggregation (use_terms_query). */
export interface TermsBucket {
  key: string | number;
  doc_count: number;
}

/** A match: the event document (timestamp as an ISO string) plus what the rule type adds. */
export type Match = Doc;
