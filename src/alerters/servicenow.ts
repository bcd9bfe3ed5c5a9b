/**
 * ElastAlert 2's `servicenow`: creates an incident through the ServiceNow Table API (POST to
 * servicenow_rest_url, Basic auth) with the rule's incident fields and the match text as description.
 */
import { z } from 'zod';
import type { AlerterDefinition } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { postJson, statusHints } from './send-request.ts';
import { basicAuth, checkUrl, seconds, transport } from './transport.ts';
import { displayUrl, urlDigest, urlSecrets } from './url-secrets.ts';

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
  servicenow_timeout: seconds(10),
});

export const servicenowAlerter: AlerterDefinition = {
  name: 'servicenow',
  aliases: ['elastalert.alerters.servicenow.ServiceNowAlerter'],
  summary: 'ServiceNow incident through the Table API (Basic auth).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const url = checkUrl(
      'servicenow_rest_url',
      o.servicenow_rest_url,
      'https://example.service-now.com/api/now/v1/table/incident',
    );
    const auth = basicAuth(o.username, o.password);
    const t = transport(o, 'servicenow', deps);
    const spec = {
      service: 'ServiceNow',
      http: { ...t.http, headers: { Accept: 'application/json;charset=utf-8', Authorization: auth.header } },
      read: statusHints({
        401: "check username and password, and the user's roles",
        403: "check username and password, and the user's roles",
      }),
    };
    return channelAlerter({
      type: 'servicenow',
      service: 'ServiceNow',
      channel: `servicenow:${urlDigest(url)}`,
      info: { type: 'ServiceNow', servicenow_rest_url: displayUrl(url) },
      secrets: [...auth.secrets, ...urlSecrets(url), ...t.secrets],
      logger: deps.logger,
      send: (content, signal) =>
        postJson(
          url,
          {
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
          },
          spec,
          signal,
        ),
    });
  },
};
