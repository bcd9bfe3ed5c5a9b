/**
 * Script queries: Elasticsearch runs any painless script; the in-memory backend knows the
 * scripts esalert itself writes, each recognised by its exact source, and refuses any other
 * (never "no hits").
 *
 * The one script today, SAME_VALUE: "fields a and b each hold one value, and it is the same"
 * (eventrouter's resync no-ops: `event.metadata.resourceVersion` equal to
 * `old_event.metadata.resourceVersion`). It reads doc values, so a and b must be keyword,
 * numeric, date or boolean fields; a field missing from the mapping makes it false.
 */
import type { FieldIndex } from './doc-index.ts';
import { badRequest, unsupported } from './errors.ts';
import { type EvalContext, fieldIndex, noDocs } from './field-queries.ts';
import { type LQuery, leaf } from './lquery.ts';
import { SAME_VALUE_SCRIPT } from '../same-value-query.ts';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The distinct doc values of one document, as painless sees them (keyword terms, numbers). */
function docValues(f: FieldIndex, doc: number): (string | number)[] {
  const values = f.docValues.get(doc);
  if (f.spec.type === 'keyword') return [...new Set(values)].map((o) => f.terms[o]!);
  return [...values];
}

function fieldFor(ctx: EvalContext, name: string): FieldIndex | undefined {
  const f = fieldIndex(ctx, name);
  if (f?.spec.type === 'text')
    throw badRequest(
      `[script] Fielddata is disabled on [${name}]: text fields have no doc values; use a keyword field (${name}.keyword)`,
    );
  return f;
}

/** Compiles `{script: {script: {source, lang, params}}}`; only the scripts above are known. */
export function compileScriptQuery(body: unknown): LQuery {
  const outer = isObject(body) ? body.script : undefined;
  const script = isObject(outer) ? outer : undefined;
  const lang = script?.lang ?? 'painless';
  if (!script || lang !== 'painless' || script.source !== SAME_VALUE_SCRIPT) {
    throw unsupported('a [script] query other than the ones esalert writes (k8s_skip_resync)');
  }
  const params = isObject(script.params) ? script.params : {};
  if (typeof params.a !== 'string' || typeof params.b !== 'string')
    throw badRequest('[script] the same-value script needs the field names as params a and b');
  const a = params.a;
  const b = params.b;
  return leaf((ctx) => {
    const out = noDocs(ctx);
    const fa = fieldFor(ctx, a);
    const fb = fieldFor(ctx, b);
    if (!fa || !fb) return out;
    for (const doc of fa.exists.clone().and(fb.exists)) {
      const x = docValues(fa, doc);
      const y = docValues(fb, doc);
      if (x.length === 1 && y.length === 1 && x[0] === y[0]) out.add(doc);
    }
    return out;
  });
}
