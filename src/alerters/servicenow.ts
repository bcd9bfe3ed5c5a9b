/**
 * ElastAlert 2's `servicenow`: creates an incident through the ServiceNow Table API (POST to
 * servicenow_rest_url, Basic auth) with the rule's incident fields and the match text as description.
 */
import { z } from 'zod';
import type { AlerterDefinition } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { guarded, httpOutcome, httpSend } from './http.ts';
import { readOptions } from './options.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';
import { basicAuth, hideSecrets, proxyUrl, timeoutOption, vendorHttp } from './vendor-http.ts';

const required = (what: string) =>
  z.union([z.string(), z.number(), z.boolean()], { error: `is required: ${what}` });

const schema = z.object({
  servicenow_rest_url: z.string({
    error: 'is required: the Table API URL, e.g. https://example.service-now.com/api/now/v1/table/incident',
  }),
  username: z
    .union([z.string(), z.number()], { error: 'is required: the ServiceNow user' })
    .transform(String),
  password: z
    .union([z.string(), z.number()], { error: 'is required: the ServiceNow password' })
    .transform(String),
  short_description: required('the incident short description'),
  comments: required('comments for the incident'),
  assignment_group: required('the group to assign the incident to'),
  category: required('the incident category'),
  subcategory: required('the incident subcategory'),
  cmdb_ci: required('the configuration item'),
  caller_id: required('the caller (e.g. elastalert@example.com)'),
  servicenow_proxy: z.string().optional(),
  servicenow_impact: z.int().min(1).max(3).optional(),
  servicenow_urgency: z.int().min(1).max(3).optional(),
  service_now_additional_fields: z.record(z.string(), z.unknown()).default({}),
  servicenow_timeout: timeoutOption(10),
});

export const servicenowAlerter: AlerterDefinition = {
  name: 'servicenow',
  aliases: ['elastalert.alerters.servicenow.ServiceNowAlerter'],
  summary: 'ServiceNow incident through the Table API (Basic auth).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    try {
      new URL(o.servicenow_rest_url);
    } catch {
      throw new OptionProblem(
        'servicenow_rest_url',
        'must be a URL such as https://example.service-now.com/api/now/v1/table/incident',
      );
    }
    const auth = basicAuth(o.username, o.password);
    const secrets = [...auth.secrets, ...urlSecrets(o.servicenow_rest_url)];
    const proxy = proxyUrl(o.servicenow_proxy);
    const http = vendorHttp({
      body: 'json',
      headers: { Accept: 'application/json;charset=utf-8' },
      authorization: auth.header,
      timeoutSeconds: o.servicenow_timeout,
      ...(proxy ? { proxy } : {}),
    });
    return {
      type: 'servicenow',
      channel: `servicenow:${urlDigest(o.servicenow_rest_url)}`,
      info: () => ({ type: 'ServiceNow', servicenow_rest_url: displayUrl(o.servicenow_rest_url) }),
      secrets: () => [...secrets],
      send: (content, signal) =>
        guarded(async () => {
          const payload = {
            description: content.matchTexts.at(-1) ?? content.body,
            short_description: o.short_description,
            comments: o.comments,
            assignment_group: o.assignment_group,
            category: o.category,
            subcategory: o.subcategory,
            cmdb_ci: o.cmdb_ci,
            caller_id: o.caller_id,
            ...(o.servicenow_impact !== undefined ? { impact: o.servicenow_impact } : {}),
            ...(o.servicenow_urgency !== undefined ? { urgency: o.servicenow_urgency } : {}),
            ...o.service_now_additional_fields,
          };
          const result = await httpSend(o.servicenow_rest_url, JSON.stringify(payload), http, signal);
          const outcome = httpOutcome(o.servicenow_rest_url, result);
          if (!outcome.ok && (result.status === 401 || result.status === 403))
            return {
              ...outcome,
              reason: `${outcome.reason} (check username and password, and the user's roles)`,
            };
          if (outcome.ok) deps.logger.info('alert sent to ServiceNow');
          return outcome;
        }).then(hideSecrets(secrets)),
    };
  },
};
