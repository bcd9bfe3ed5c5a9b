/**
 * What templates read of a rule's options. ElastAlert 2 hands templates the whole rule, and the
 * rule includes every config.yaml key, so `{{ _data }}` would show the Elasticsearch password and
 * every robot token. Templates (alert_text_jinja, alert_subject), *_args, alert_text_kw and `$name$`
 * references get this view instead:
 * - no Elasticsearch connection keys (hosts, credentials, certificates);
 * - no option whose name says it holds a credential (password, token, secret, key, sign, auth,
 *   cookie, bearer...), at any depth, and no header maps;
 * - URLs with their credentials, query values and token-like path parts masked (robot webhooks).
 */
import type { Doc } from '../model/lookup.ts';
import { ES_CONNECTION_KEYS, isSecretName } from '../util/secret-names.ts';
import { displayUrl, urlSecrets } from '../util/url-secrets.ts';

const CONNECTION_KEYS = new Set<string>(ES_CONNECTION_KEYS);

function isUrlWithSecrets(text: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return false;
  try {
    return new URL(text).username !== '' || urlSecrets(text).length > 0;
  } catch {
    return false;
  }
}

function cleanValue(value: unknown): unknown {
  if (typeof value === 'string') return isUrlWithSecrets(value) ? displayUrl(value) : value;
  if (Array.isArray(value)) return value.map(cleanValue);
  if (value && typeof value === 'object') {
    const out: Doc = {};
    for (const [k, v] of Object.entries(value)) if (!isSecretName(k)) out[k] = cleanValue(v);
    return out;
  }
  return value;
}

const views = new WeakMap<Doc, Doc>();

/** The rule options a template may read (see above); computed once per rule mapping. */
export function templateOptions(raw: Doc): Doc {
  const known = views.get(raw);
  if (known) return known;
  const out: Doc = {};
  for (const [k, v] of Object.entries(raw)) {
    if (CONNECTION_KEYS.has(k) || isSecretName(k)) continue;
    out[k] = cleanValue(v);
  }
  views.set(raw, out);
  return out;
}
