/**
 * Completing matches read with a few fields of each hit (CompiledRule.hitFields): before matches
 * are handled, the whole documents of the matches (and of their related_events) are read by _id in
 * one search per MAX_IDS_PER_SEARCH, and each match gets every field of its document. What the
 * rule type put in a match stays as it put it (the timestamp as ISO 8601, old_value, spike_count,
 * ...), and the fields come in the document's order, so a completed match is what the rule type
 * would have made from the whole document.
 *
 * A document that cannot be read again (deleted since, its index gone, Elasticsearch unreachable
 * after the transport's retries) leaves its match as it is, with the fields the rule read, and a
 * warning: the alert still goes out.
 */
import { errorMessage } from '../errors/esalert-error.ts';
import type { Doc } from '../model/lookup.ts';
import type { Match } from '../model/match.ts';
import { type HitProcessing, toRuleHits } from '../query/hits-reader.ts';
import type { SearchPort } from '../query/search-port.ts';
import type { SegmentRead } from './read-segment.ts';

/** Ids asked for in one search (about 30 bytes each in the request). */
export const MAX_IDS_PER_SEARCH = 1000;

/** Elasticsearch's default index.max_result_window. */
const MAX_RESULT_WINDOW = 10_000;

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A document's place: its index and _id, when the value is a document read from a hit. */
function placeOf(doc: unknown): { index: string; id: string } | undefined {
  if (!isObject(doc)) return undefined;
  const { _id: id, _index: index } = doc;
  return typeof id === 'string' && typeof index === 'string' ? { index, id } : undefined;
}

const keyOf = (index: string, id: string) => `${index}\u0000${id}`;

/**
 * `part` (read with a few fields) over `whole` (the whole document): the whole document's fields in
 * its order, each value as `part` has it where it has one, then what only `part` has.
 */
export function overlay(whole: unknown, part: unknown): unknown {
  if (isObject(whole) && isObject(part)) {
    const out: Doc = {};
    for (const [k, v] of Object.entries(whole)) out[k] = Object.hasOwn(part, k) ? overlay(v, part[k]) : v;
    for (const [k, v] of Object.entries(part)) if (!Object.hasOwn(out, k)) out[k] = v;
    return out;
  }
  if (Array.isArray(whole) && Array.isArray(part))
    // an array read with a few fields of its objects (or left out): the document's own
    return whole.length === part.length ? whole.map((v, i) => overlay(v, part[i])) : whole;
  return part;
}

/** The documents of the matches (and of their related events) to read again. */
function wanted(matches: readonly Match[]): Map<string, { index: string; id: string }> {
  const out = new Map<string, { index: string; id: string }>();
  const add = (doc: unknown) => {
    const p = placeOf(doc);
    if (p) out.set(keyOf(p.index, p.id), p);
  };
  for (const m of matches) {
    add(m);
    if (Array.isArray(m.related_events)) for (const r of m.related_events) add(r);
  }
  return out;
}

async function readWhole(
  places: { index: string; id: string }[],
  port: SearchPort,
  processing: HitProcessing,
  signal: AbortSignal | undefined,
): Promise<Map<string, Doc>> {
  const out = new Map<string, Doc>();
  for (let i = 0; i < places.length; i += MAX_IDS_PER_SEARCH) {
    const chunk = places.slice(i, i + MAX_IDS_PER_SEARCH);
    const indices = [...new Set(chunk.map((p) => p.index))];
    const ids = [...new Set(chunk.map((p) => p.id))];
    const res = await port.search(
      {
        index: indices.join(','),
        query: { ids: { values: ids } },
        size: Math.min(ids.length * indices.length, MAX_RESULT_WINDOW),
      },
      signal,
    );
    // the same processing as the hits the rule read: _id, _index, compound keys, ISO timestamps
    for (const h of toRuleHits(res.hits, processing, () => undefined))
      out.set(keyOf(h.doc._index as string, h.doc._id as string), h.doc);
  }
  return out;
}

/** Completes `matches` in place (see the module comment). */
export async function completeMatches(matches: Match[], r: SegmentRead): Promise<void> {
  const places = wanted(matches);
  if (places.size === 0) return;
  let whole: Map<string, Doc>;
  try {
    whole = await readWhole([...places.values()], r.port, r.processing, r.signal);
  } catch (err) {
    if (r.signal?.aborted) throw err;
    r.logger.warn(
      { matches: matches.length, error: errorMessage(err) },
      'could not read the whole documents of the matches; they are handled with the fields the rule read',
    );
    return;
  }
  const complete = (doc: unknown): unknown => {
    const p = placeOf(doc);
    const w = p && whole.get(keyOf(p.index, p.id));
    return w ? overlay(w, doc) : doc;
  };
  for (let i = 0; i < matches.length; i++) {
    const m = complete(matches[i]) as Match;
    if (Array.isArray(m.related_events)) m.related_events = m.related_events.map(complete);
    matches[i] = m;
  }
  const missing = [...places.keys()].filter((k) => !whole.has(k)).length;
  if (missing > 0)
    r.logger.warn(
      { missing },
      `${missing} matched document(s) could not be read again (deleted since?); their matches carry the fields the rule read`,
    );
}
