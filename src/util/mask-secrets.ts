/**
 * A rule file's YAML as it may be shown (the console): the values of secret-shaped keys
 * (passwords, tokens, API keys, webhook URLs, DingTalk's sign...) and the credentials and query
 * values of every URL are masked, then every registered secret value. The text keeps its lines,
 * so the file:line of load warnings still points at the right place. `${VAR}` and `${file:...}`
 * references are kept: they name where a secret comes from, not the secret.
 */
import { isMap, isPair, isScalar, isSeq, type Node, parseDocument, visit } from 'yaml';
import { redactText } from './redact.ts';

export const MASK = '***';

/** Option names whose values are secrets (DingTalk's sign, WeCom's bot id, PagerDuty's service key...). */
const SECRET_KEY =
  /passw(or)?d|passphrase|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|service[-_]?key|routing[-_]?key|integration[-_]?key|app[-_]?key|bot[-_]?(id|key)|bearer|credential|authorization|cookie|webhook|(^|[-_])sign(ature)?($|[-_])/i;

/** A value that only refers to a secret (`${VAR}`, `${file:/path}`, `$VAR`). */
const REFERENCE = /^\s*(\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*)\s*$/;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A URL's user:password and query values masked; the rest kept as written. */
export function maskUrlText(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s?#]*@/gi, `$1${MASK}@`)
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#]*\?)([^\s#]*)/gi, (_m, head: string, query: string) => {
      const masked = query
        .split('&')
        .map((kv) => (kv.includes('=') ? `${kv.slice(0, kv.indexOf('='))}=${MASK}` : kv))
        .join('&');
      return `${head}${masked}`;
    });
}

/** The masked text of a scalar: same number of lines, so positions below it stay put. */
function masked(original: string): string {
  const newlines = original.match(/\n/g)?.length ?? 0;
  return `"${MASK}"${'\n'.repeat(newlines)}`;
}

/** Ranges [start, end) of scalar values under secret-shaped keys. */
function secretRanges(text: string): [number, number][] | undefined {
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false });
  if (doc.errors.length) return undefined;
  const ranges: [number, number][] = [];
  const all = (node: unknown) => {
    if (isScalar(node)) {
      if (node.range && !(typeof node.value === 'string' && REFERENCE.test(node.value)))
        ranges.push([node.range[0], node.range[1]]);
    } else if (isMap(node) || isSeq(node)) {
      for (const item of node.items) all(isPair(item) ? item.value : item);
    }
  };
  visit(doc, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && isSecretKey(String(pair.key.value))) {
        all(pair.value as Node | null);
        return visit.SKIP;
      }
      return undefined;
    },
  });
  return ranges.sort((a, b) => a[0] - b[0]);
}

/** Line by line, for a file that is not valid YAML: `key: value` under secret-shaped keys. */
function maskLines(text: string): string {
  return text.replace(
    /^(\s*-?\s*["']?([\w.-]+)["']?\s*:[ \t]+)(.+)$/gm,
    (line, head: string, key: string, value: string) =>
      isSecretKey(key) && !REFERENCE.test(value) ? `${head}"${MASK}"` : line,
  );
}

/** The text with secret values masked (see the top of this file). */
export function maskYamlSecrets(text: string, secrets: readonly string[]): string {
  let out: string;
  const ranges = secretRanges(text);
  if (ranges) {
    let result = '';
    let at = 0;
    for (const [start, end] of ranges) {
      if (start < at) continue;
      result += text.slice(at, start) + masked(text.slice(start, end));
      at = end;
    }
    out = result + text.slice(at);
  } else {
    out = maskLines(text);
  }
  return redactText(maskUrlText(out), secrets);
}
