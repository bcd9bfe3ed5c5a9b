/**
 * ElastAlert 2's `iris`: creates an alert, or a case with its IOCs, in DFIR-IRIS through its REST
 * API (Bearer API key): POST /alerts/add, or POST /manage/cases/add then /case/ioc/add per IOC.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { strftime } from '../util/time.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { guarded, type HttpResult, httpOutcome, httpSend } from './http.ts';
import { readOptions } from './options.ts';
import { hideSecrets, rulePath, timeoutOption, vendorHttp } from './vendor-http.ts';

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
  iris_ca_cert: z.union([z.string(), z.boolean()]).optional(),
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
  iris_timeout: timeoutOption(10),
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

/** IRIS answers 200 with {"status": "success", "data": ...}; anything else is a failure. */
function irisOutcome(url: string, r: HttpResult, what: string): SendOutcome {
  const outcome = httpOutcome(url, r);
  if (!outcome.ok) {
    const hint = r.status === 401 || r.status === 403 ? ' (check iris_api_token)' : '';
    return { ...outcome, reason: `IRIS ${what}: ${outcome.reason}${hint}` };
  }
  if (r.status !== 200)
    return { ok: false, retryable: false, reason: `IRIS ${what}: ${url} answered HTTP ${r.status}, not 200` };
  return { ok: true };
}

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
    const ca = typeof o.iris_ca_cert === 'string' ? rulePath(deps.ruleDir, o.iris_ca_cert) : undefined;
    const secrets = o.iris_api_token.length >= 4 ? [o.iris_api_token] : [];
    const http = vendorHttp({
      body: 'json',
      authorization: `Bearer ${o.iris_api_token}`,
      timeoutSeconds: o.iris_timeout,
      ignoreSslErrors: o.iris_ignore_ssl_errors,
      ...(o.iris_ca_cert !== undefined ? { caCerts: ca ?? o.iris_ca_cert } : {}),
    });
    const post = async (path: string, body: Doc, signal: AbortSignal) => {
      const url = `${base}${path}`;
      return { url, result: await httpSend(url, JSON.stringify(body), http, signal) };
    };
    return {
      type: 'iris',
      channel: `iris:${base}`,
      info: () => ({ type: 'IrisAlerter', iris_api_endpoint: base }),
      secrets: () => [...secrets],
      send: (content, signal) =>
        guarded(async (): Promise<SendOutcome> => {
          if (o.iris_type === 'alert') {
            const { url, result } = await post('/alerts/add', irisAlert(o, content), signal);
            const outcome = irisOutcome(url, result, 'alert');
            if (outcome.ok) deps.logger.info('alert sent to IRIS');
            return outcome;
          }
          const { url, result } = await post('/manage/cases/add', irisCase(o, content), signal);
          const created = irisOutcome(url, result, 'case');
          if (!created.ok) return created;
          let caseId: unknown;
          try {
            caseId = (JSON.parse(result.body) as { data?: { case_id?: unknown } }).data?.case_id;
          } catch {
            caseId = undefined;
          }
          const iocs = irisIocs(o.iris_iocs, content.matches[0] ?? {});
          if (iocs.length > 0 && caseId === undefined)
            return {
              ok: false,
              retryable: false,
              reason: `IRIS created the case but its reply has no data.case_id, so the ${iocs.length} IOC(s) were not added`,
            };
          for (const record of iocs) {
            const added = await post('/case/ioc/add', { ...record, cid: caseId }, signal);
            const outcome = irisOutcome(added.url, added.result, `IOC for case ${pythonStr(caseId)}`);
            // the case exists: sending again would open a second one
            if (!outcome.ok)
              return {
                ...outcome,
                retryable: false,
                reason: `${outcome.reason} (the case itself was created)`,
              };
          }
          deps.logger.info({ case_id: caseId }, 'case created in IRIS');
          return { ok: true };
        }).then(hideSecrets(secrets)),
    };
  },
};
