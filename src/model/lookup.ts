/**
 * Field lookup in documents, as ElastAlert 2 resolves rule field names: `event.involvedObject.name`
 * finds nested objects, a literal dotted key (`{"event.reason": ...}`) or any mix (longest literal
 * prefix first), `items[2]` indexes arrays (`objects[0]foo` reaches into the element), and a
 * trailing `.keyword` is tried as a real field, then ignored as the multi-field suffix.
 */

export type Doc = Record<string, unknown>;

type Found = { container: Doc | unknown[]; key: string | number } | undefined;

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One way to read a term: a literal key (`root`, maybe `[index]`), then the rest (`children`, each tried in turn). */
interface Step {
  root: string;
  index: number | undefined;
  children: string[];
}

/**
 * How to read each term, longest literal prefix first: worked out once per term (rule field names
 * are few and read for every hit). Bounded, in case terms come from data.
 */
const plans = new Map<string, Step[]>();
const PLANS_KEPT = 10_000;

function planOf(term: string): Step[] {
  let plan = plans.get(term);
  if (plan) return plan;
  plan = [];
  const parts = term.split('.');
  for (let i = parts.length; i >= 1; i--) {
    let root = parts.slice(0, i).join('.');
    const indexed = /^(.+?)\[(\d)\](.*)$/.exec(root);
    let index: number | undefined;
    const child: string[] = [];
    if (indexed) {
      root = indexed[1]!;
      index = Number(indexed[2]);
      if (indexed[3]) child.push(indexed[3]);
    }
    child.push(...parts.slice(i));
    const children = [child.join('.')];
    if (child.at(-1) === 'keyword') children.push(child.slice(0, -1).join('.'));
    plan.push({ root, index, children });
  }
  if (plans.size >= PLANS_KEPT) plans.clear();
  plans.set(term, plan);
  return plan;
}

function find(doc: Doc, term: string): Found {
  for (const { root, index, children } of planOf(term)) {
    if (!Object.hasOwn(doc, root)) continue;
    for (const child of children) {
      const value = doc[root];
      if (index !== undefined) {
        if (!child) return Array.isArray(value) ? { container: value, key: index } : undefined;
        if (!Array.isArray(value) || index >= value.length) return undefined;
        const element = value[index];
        if (isObject(element)) return find(element, child);
      }
      if (child && isObject(value)) return find(value, child);
      return { container: doc, key: root };
    }
  }
  return undefined;
}

/** The value at `term`, or undefined when any part is missing. */
export function lookupField(doc: Doc, term: string): unknown {
  const f = find(doc, term);
  if (!f) return undefined;
  const v = Array.isArray(f.container) ? f.container[f.key as number] : f.container[f.key as string];
  return v === null ? undefined : v;
}

/** Sets the value at `term` where lookupField would find it; false when the path does not exist. */
export function setField(doc: Doc, term: string, value: unknown): boolean {
  const f = find(doc, term);
  if (!f) return false;
  if (Array.isArray(f.container)) f.container[f.key as number] = value;
  else f.container[f.key as string] = value;
  return true;
}

/** Python's str() of a field value, as ElastAlert 2 uses for keys: None, True/False, lists and dicts Python-style. */
export function pythonStr(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return pythonNumber(value);
  return pythonRepr(value);
}

function pythonNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(n);
}

/** Python's repr() for JSON-like values: {'a': 1, 'b': [True, None]}. */
export function pythonRepr(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pythonNumber(value);
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const escaped = value
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t');
    return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Doc)
      .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** ElastAlert 2's hashable(): lists and objects become their Python string form when used as a key. */
export function keyOf(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (typeof value === 'object') return pythonRepr(value);
  return pythonStr(value);
}
