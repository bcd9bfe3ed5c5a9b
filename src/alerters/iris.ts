/**
 * ElastAlert 2's `iris`: creates an alert, or a case with its IOCs, in DFIR-IRIS through its REST
 * API (Bearer API key): POST /alerts/add, or POST /manage/cases/add then /case/ioc/add per IOC.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { redactUrl } from '../util/redact.ts';
import { strftime } from '../util/time.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { exchange, failed, firstOf, isSuccess, jsonSpec, type Reply, statusHints } from './send-request.ts';
import { caCerts, seconds, transport } from './transport.ts';

const ioc = z.looseObject({
  ioc_value: z.string(),
  ioc_description: z.string().optional(),
  ioc_tlp_id: z.int().optional(),
  ioc_type_id: z.int().optional(),
  ioc_tags: z.string().optional(),
});

const schema = z.object({
  iris_host: z.string({ error: 'is required: the IRIS host, e.g. iris.example.com' }),
  iris_api_token: z.string({ error: 'is required: the API key of the IRIS user' }),
  iris_customer_id: z.int().default(1),
  iris_ca_cert: caCerts,
  iris_ignore_ssl_errors: z.boolean().default(false),
  iris_description: z.string().optional(),
  iris_overwrite_timestamp: z.boolean().default(false),
  iris_type: z.enum(['alert', 'case']).default('alert'),
  iris_case_template_id: z.int().optional(),
  iris_alert_note: z.string().optional(),
  iris_alert_tags: z.string().optional(),
  iris_alert_status_id: z.int().min(1).max(7).default(2),
  iris_alert_source: z.string().default('ElastAlert2'),
  iris_alert_source_link: z.string().optional(),
  iris_alert_severity_id: z.int().min(1).max(6).default(1),
  iris_alert_context: z
    .record(z.string(), z.union([z.string(), z.object({ field: z.string() }).transform((f) => f.field)]))
    .optional(),
  iris_iocs: z.array(ioc).optional(),
  iris_timeout: seconds(10),
});
type IrisOptions = z.output<typeof schema>;

/** IOC records with their value taken from the match; records whose field the match lacks are left out. */
export function irisIocs(iocs: IrisOptions['iris_iocs'], match: Match): Doc[] {
  return (iocs ?? []).flatMap((record) => {
    const value = lookupField(match, record.ioc_value);
    return value === undefined ? [] : [{ ...record, ioc_value: value }];
  });
}

export function irisAlert(o: IrisOptions, content: AlertContent, now = Date.now()): Doc {
  const first = content.matches[0] ?? {};
  const eventTime = o.iris_overwrite_timestamp
    ? (first['@timestamp'] ?? null)
    : strftime('%Y-%m-%dT%H:%M:%S', now, Intl.DateTimeFormat().resolvedOptions().timeZone);
  const alert: Doc = {
    alert_title: content.title,
    alert_description: o.iris_description || content.body,
    alert_source: o.iris_alert_source,
    alert_severity_id: o.iris_alert_severity_id,
    alert_status_id: o.iris_alert_status_id,
    alert_source_event_time: eventTime,
    alert_note: o.iris_alert_note ?? null,
    alert_tags: o.iris_alert_tags ?? null,
    alert_customer_id: o.iris_customer_id,
  };
  if (o.iris_alert_source_link) alert.alert_source_link = o.iris_alert_source_link;
  if (o.iris_iocs?.length) alert.alert_iocs = irisIocs(o.iris_iocs, first);
  if (o.iris_alert_context && Object.keys(o.iris_alert_context).length) {
    alert.alert_context = Object.fromEntries(
      Object.entries(o.iris_alert_context).map(([key, field]) => {
        const v = lookupField(first, field) ?? content.options[field] ?? '';
        return [key, pythonStr(v)];
      }),
    );
  }
  return alert;
}

export function irisCase(o: IrisOptions, content: AlertContent): Doc {
  return {
    case_soc_id: `SOC_${randomUUID().slice(0, 6)}`,
    case_customer: o.iris_customer_id,
    case_name: content.ruleName,
    case_description: o.iris_description ?? null,
    ...(o.iris_case_template_id ? { case_template_id: o.iris_case_template_id } : {}),
  };
}

/** IRIS answers 200 with {"status": "success", "data": ...}; another 2xx is a failure. */
function readIrisReply(r: Reply): SendOutcome | undefined {
  return r.status > 200 && isSuccess(r.status)
    ? failed(false, `${redactUrl(r.url)} answered HTTP ${r.status}, not 200`)
    : undefined;
}

const readIris = firstOf(
  readIrisReply,
  statusHints({ 401: 'check iris_api_token', 403: 'check iris_api_token' }),
);

export const irisAlerter: AlerterDefinition = {
  name: 'iris',
  aliases: ['elastalert.alerters.iris.IrisAlerter'],
  summary: 'DFIR-IRIS alert, or case with IOCs (Bearer API key).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    // ElastAlert 2 always prepends https://; a host given with its scheme is taken as it is
    const base = /^https?:\/\//i.test(o.iris_host)
      ? o.iris_host.replace(/\/+$/, '')
      : `https://${o.iris_host}`;
    const t = transport(o, 'iris', deps, { ca_certs: 'iris_ca_cert' });
    const http = {
      ...t.http,
      headers: { Accept: 'application/json', Authorization: `Bearer ${o.iris_api_token}` },
    };
    /** One call: what its reply means ("IRIS case: ..."), and the reply. */
    const post = (path: string, what: string, body: Doc, signal: AbortSignal) =>
      exchange(
        `${base}${path}`,
        JSON.stringify(body),
        jsonSpec({ service: `IRIS ${what}`, http, read: readIris }),
        signal,
      );
    return channelAlerter({
      type: 'iris',
      service: 'IRIS',
      channel: `iris:${base}`,
      info: { type: 'IrisAlerter', iris_api_endpoint: base },
      secrets: [o.iris_api_token, ...t.secrets],
      logger: deps.logger,
      send: async (content, signal): Promise<SendOutcome> => {
        if (o.iris_type === 'alert')
          return (await post('/alerts/add', 'alert', irisAlert(o, content), signal)).outcome;
        const created = await post('/manage/cases/add', 'case', irisCase(o, content), signal);
        if (!created.outcome.ok) return created.outcome;
        const caseId = (created.reply.json as { data?: { case_id?: unknown } } | undefined)?.data?.case_id;
        const iocs = irisIocs(o.iris_iocs, content.matches[0] ?? {});
        if (iocs.length > 0 && caseId === undefined)
          return failed(
            false,
            `IRIS created the case but its reply has no data.case_id, so the ${iocs.length} IOC(s) were not added`,
          );
        for (const record of iocs) {
          const added = await post(
            '/case/ioc/add',
            `IOC for case ${pythonStr(caseId)}`,
            { ...record, cid: caseId },
            signal,
          );
          // the case exists: sending again would open a second one
          if (!added.outcome.ok)
            return failed(false, `${added.outcome.reason} (the case itself was created)`);
        }
        deps.logger.info({ case_id: caseId }, 'case created in IRIS');
        return { ok: true };
      },
    });
  },
};
