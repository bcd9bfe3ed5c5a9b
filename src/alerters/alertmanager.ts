/**
 * Prometheus Alertmanager (ElastAlert 2's `alertmanager`): one alert, `[{"labels",
 * "annotations", "endsAt"?}]`, to <host>/api/<v1|v2>/alerts on each of alertmanager_hosts. Label
 * and annotation values are Jinja templates over the first match; the subject and body go into
 * the `summary` and `description` annotations. Alertmanager 0.27 and later only serve the v2 API
 * (set alertmanager_api_version: v2).
 */
import { z } from 'zod';
import { compileTemplate, type CompiledTemplate, TemplateError } from '../format/jinja.ts';
import { duration, stringList } from '../config/fields.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { postJson, sendEach, statusHints } from './send-request.ts';
import { basicAuth, caCerts, checkUrl, seconds, transport } from './transport.ts';
import { urlDigest, urlSecrets } from './url-secrets.ts';

/** A label or annotation: a Jinja template, or {field: <match field>}. */
const templated = z.record(z.string(), z.union([z.string(), z.looseObject({ field: z.string().min(1) })]));

const schema = z.object({
  alertmanager_hosts: stringList,
  alertmanager_api_version: z.enum(['v1', 'v2']).default('v1'),
  alertmanager_alertname: z.string().optional(),
  alertmanager_labels: templated.default({}),
  alertmanager_annotations: templated.default({}),
  alertmanager_fields: z.record(z.string(), z.string()).default({}),
  alertmanager_alert_subject_labelname: z.string().default('summary'),
  alertmanager_alert_text_labelname: z.string().default('description'),
  alertmanager_proxy: z.string().optional(),
  alertmanager_ca_certs: caCerts,
  alertmanager_ignore_ssl_errors: z.boolean().default(false),
  alertmanager_timeout: seconds(10),
  alertmanager_resolve_time: duration.optional(),
  alertmanager_basic_auth_login: z.string().optional(),
  alertmanager_basic_auth_password: z.string().optional(),
});
type AlertmanagerOptions = z.output<typeof schema>;

type Compiled = Record<string, CompiledTemplate | { field: string }>;

function compileAll(option: string, values: Record<string, string | { field: string }>): Compiled {
  const out: Compiled = {};
  for (const [key, v] of Object.entries(values)) {
    if (typeof v !== 'string') {
      out[key] = { field: v.field };
      continue;
    }
    try {
      out[key] = compileTemplate(v);
    } catch (err) {
      throw new OptionProblem(option, `${key} is not a valid Jinja template: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Python's json.dumps: ", " and ": " separators, non-ASCII characters escaped. */
function pythonJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${pythonJson(k)}: ${pythonJson(x)}`)
      .join(', ')}}`;
  return (JSON.stringify(v) ?? 'null').replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A value as a label holds it: text as is, anything else as JSON (null when missing). */
const labelText = (v: unknown) => (typeof v === 'string' ? v : pythonJson(v ?? null));

function renderAll(option: string, compiled: Compiled, match: Doc, values: Doc): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, t] of Object.entries(compiled)) {
    if ('field' in t) out[key] = labelText(lookupField(match, t.field));
    else {
      try {
        out[key] = t.render(values);
      } catch (err) {
        if (err instanceof TemplateError) throw new TemplateError(`${option}.${key}: ${err.message}`);
        throw err;
      }
    }
  }
  return out;
}

/** Python's datetime.isoformat() of a UTC time: microseconds and +00:00. */
const isoUtc = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');

export function createAlertmanagerPayload(o: AlertmanagerOptions) {
  const labels = compileAll('alertmanager_labels', o.alertmanager_labels);
  const annotations = compileAll('alertmanager_annotations', o.alertmanager_annotations);
  return (
    content: Pick<AlertContent, 'ruleName' | 'title' | 'body' | 'matches' | 'options'>,
    now = Date.now(),
  ): Doc[] => {
    const match = content.matches[0] ?? {};
    const root =
      typeof content.options.jinja_root_name === 'string' ? content.options.jinja_root_name : '_data';
    const values = { ...match, [root]: match };
    const payload: Doc = {
      annotations: {
        ...renderAll('alertmanager_annotations', annotations, match, values),
        [o.alertmanager_alert_subject_labelname]: content.title,
        [o.alertmanager_alert_text_labelname]: content.body,
      },
      labels: {
        ...renderAll('alertmanager_labels', labels, match, values),
        ...Object.fromEntries(
          Object.entries(o.alertmanager_fields).map(([label, field]) => [
            label,
            labelText(lookupField(match, field)),
          ]),
        ),
        alertname: o.alertmanager_alertname ?? content.ruleName,
        elastalert_rule: content.ruleName,
      },
    };
    if (o.alertmanager_resolve_time !== undefined) payload.endsAt = isoUtc(now + o.alertmanager_resolve_time);
    return [payload];
  };
}

export const alertmanagerAlerter: AlerterDefinition = {
  name: 'alertmanager',
  summary:
    'Prometheus Alertmanager: posts one alert with labels and annotations (ElastAlert 2 alertmanager_*).',
  optionNames: [...Object.keys(schema.shape), 'jinja_root_name'],
  create(options, deps) {
    const o = readOptions(schema, options);
    const version = o.alertmanager_api_version;
    const urls = o.alertmanager_hosts.map(
      (h) =>
        `${checkUrl('alertmanager_hosts', h, 'http://alertmanager:9093').replace(/\/+$/, '')}/api/${version}/alerts`,
    );
    const build = createAlertmanagerPayload(o);
    const t = transport(o, 'alertmanager', deps);
    const login = o.alertmanager_basic_auth_login;
    const basic = login ? basicAuth(login, o.alertmanager_basic_auth_password ?? '') : undefined;
    const spec = {
      service: 'Alertmanager',
      http: { ...t.http, headers: basic ? { Authorization: basic.header } : undefined },
      read: statusHints({
        400: 'Alertmanager refused the alert (label names must match [a-zA-Z_][a-zA-Z0-9_]*)',
        401: 'check alertmanager_basic_auth_login and alertmanager_basic_auth_password',
        403: 'check alertmanager_basic_auth_login and alertmanager_basic_auth_password',
        ...(version === 'v1'
          ? {
              404: 'no v1 API here: Alertmanager 0.27 and later only serve v2; set alertmanager_api_version: v2',
              410: 'the v1 API is gone: set alertmanager_api_version: v2',
            }
          : { 404: 'no Alertmanager API here: check alertmanager_hosts' }),
      }),
    };
    return channelAlerter({
      type: 'alertmanager',
      service: 'Alertmanager',
      channel: `alertmanager:${urlDigest(urls.join('\n'))}`,
      info: { type: 'alertmanager' },
      secrets: [
        o.alertmanager_basic_auth_password,
        ...(basic?.secrets ?? []),
        ...urls.flatMap(urlSecrets),
        ...t.secrets,
      ],
      logger: deps.logger,
      send: (content, signal) => {
        const payload = build(content);
        return sendEach(urls, (u) => postJson(u, payload, spec, signal));
      },
    });
  },
};
