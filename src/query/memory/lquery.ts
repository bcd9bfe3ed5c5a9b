/**
 * Compiled queries, shaped like Lucene's: leaves computing a document set, and boolean queries
 * with Lucene's semantics (MUST/FILTER required; SHOULD optional when something is required,
 * else at least one, or minimum_should_match; MUST_NOT excluded; only MUST_NOT clauses match
 * nothing unless fixed as Elasticsearch does).
 */
import type { DocSet } from './doc-set.ts';
import { type EvalContext, allDocs, noDocs } from './field-queries.ts';

export type Occur = 'must' | 'filter' | 'should' | 'must_not';

export type LQuery =
  | { t: 'all' }
  | { t: 'none' }
  | { t: 'leaf'; run: (ctx: EvalContext) => DocSet }
  | { t: 'bool'; clauses: { occur: Occur; q: LQuery }[]; msm: number };

export const MATCH_ALL: LQuery = { t: 'all' };
export const MATCH_NONE: LQuery = { t: 'none' };

export function leaf(run: (ctx: EvalContext) => DocSet): LQuery {
  return { t: 'leaf', run };
}

/** Any of `queries` (a dis_max or should-only boolean, which are the same for matching). */
export function anyOf(queries: LQuery[]): LQuery {
  if (queries.length === 0) return MATCH_NONE;
  if (queries.length === 1) return queries[0]!;
  return { t: 'bool', clauses: queries.map((q) => ({ occur: 'should', q })), msm: 0 };
}

/** Elasticsearch's fixNegativeQueryIfNeeded: a boolean of only MUST_NOT clauses gets a match-all filter. */
export function fixNegative(q: LQuery): LQuery {
  if (q.t === 'bool' && q.clauses.length > 0 && q.clauses.every((c) => c.occur === 'must_not')) {
    return { ...q, clauses: [...q.clauses, { occur: 'filter', q: MATCH_ALL }] };
  }
  return q;
}

export function evaluate(ctx: EvalContext, q: LQuery): DocSet {
  switch (q.t) {
    case 'all':
      return allDocs(ctx);
    case 'none':
      return noDocs(ctx);
    case 'leaf':
      return q.run(ctx);
    case 'bool':
      return evaluateBool(ctx, q.clauses, q.msm);
  }
}

function evaluateBool(ctx: EvalContext, clauses: { occur: Occur; q: LQuery }[], msm: number): DocSet {
  let required: DocSet | undefined;
  const shoulds: DocSet[] = [];
  let excluded: DocSet | undefined;
  for (const c of clauses) {
    if (c.occur === 'must' || c.occur === 'filter') {
      const s = evaluate(ctx, c.q);
      required = required ? required.and(s) : s;
    }
  }
  if (required?.isEmpty()) return required;
  for (const c of clauses) {
    if (c.occur === 'should') shoulds.push(evaluate(ctx, c.q));
    else if (c.occur === 'must_not') {
      const s = evaluate(ctx, c.q);
      excluded = excluded ? excluded.or(s) : s;
    }
  }
  let result: DocSet;
  if (msm > 0) {
    if (shoulds.length < msm) return noDocs(ctx);
    result = atLeast(ctx, shoulds, msm);
    if (required) result.and(required);
  } else if (required) {
    result = required;
  } else if (shoulds.length > 0) {
    result = shoulds[0]!.clone();
    for (const s of shoulds.slice(1)) result.or(s);
  } else {
    return noDocs(ctx);
  }
  if (excluded) result.andNot(excluded);
  return result;
}

function atLeast(ctx: EvalContext, sets: DocSet[], n: number): DocSet {
  if (n === 1) {
    const out = noDocs(ctx);
    for (const s of sets) out.or(s);
    return out;
  }
  const counts = new Uint16Array(ctx.ix.size);
  for (const s of sets) for (const d of s) counts[d]!++;
  const out = noDocs(ctx);
  for (let d = 0; d < counts.length; d++) if (counts[d]! >= n) out.add(d);
  return out;
}

/**
 * Elasticsearch's minimum_should_match (Queries.calculateMinShouldMatch): an integer, a negative
 * integer (all but n), a percentage (rounded toward zero), or conditions like `3<90% 5<2`.
 */
export function minimumShouldMatch(spec: unknown, optionalClauses: number): number {
  if (spec === undefined || spec === null) return 0;
  const bad = () => new Error(`invalid minimum_should_match "${String(spec)}"`);
  const calc = (text: string): number => {
    let result = optionalClauses;
    text = text.trim();
    if (text.includes('<')) {
      for (const part of text.replace(/\s*<\s*/g, '<').split(/\s+/)) {
        const [bound, rest] = part.split('<');
        if (!/^-?\d+$/.test(bound ?? '') || rest === undefined) throw bad();
        if (optionalClauses <= Number(bound)) return result;
        result = calc(rest);
      }
      return result;
    }
    if (text.includes('%')) {
      const pct = text.slice(0, -1);
      if (!/^-?\d+$/.test(pct)) throw bad();
      const c = (result * Number(pct)) / 100;
      result = c < 0 ? result + Math.trunc(c) : Math.trunc(c);
    } else {
      if (!/^-?\d+$/.test(text)) throw bad();
      const c = Number(text);
      result = c < 0 ? result + c : c;
    }
    return result < 0 ? 0 : result;
  };
  return calc(String(spec));
}
