/**
 * The painless scripts esalert writes into queries, each recognised by its exact source by the
 * in-memory backend (src/query/memory/scripts.ts).
 *
 * SAME_VALUE: "fields a and b each hold one value, and it is the same" (eventrouter's resync
 * no-ops: `event.metadata.resourceVersion` equal to `old_event.metadata.resourceVersion`).
 */
export const SAME_VALUE_SCRIPT =
  'if (!doc.containsKey(params.a) || !doc.containsKey(params.b)) { return false; } ' +
  'def x = doc[params.a]; def y = doc[params.b]; ' +
  'return x.size() == 1 && y.size() == 1 && x.value == y.value;';

/** A filter clause: documents whose fields `a` and `b` hold one and the same value. */
export function sameValueQuery(a: string, b: string): Record<string, unknown> {
  return { script: { script: { lang: 'painless', source: SAME_VALUE_SCRIPT, params: { a, b } } } };
}
