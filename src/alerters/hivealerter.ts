/**
 * ElastAlert 2's `hivealerter`: creates an alert in TheHive (POST <hive_host>:<hive_port>/api/alert,
 * Bearer API key) from hive_alert_config, with tags, custom fields and observables filled from
 * the matches the way ElastAlert 2 fills them.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { FormatError, pythonFormat } from '../format/python-format.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { failed, postJson, statusHints } from './send-request.ts';
import { seconds, transport } from './transport.ts';

const schema = z.object({
  hive_connection: z.looseObject({
    hive_host: z.string().default('http://localhost'),
    hive_port: z.union([z.int().positive(), z.string().regex(/^\d+$/).transform(Number)]).default(9000),
    hive_apikey: z.union([z.string(), z.number()]).transform(String).default(''),
    hive_proxies: z.record(z.string(), z.string().nullable()).default({}),
    hive_verify: z.boolean().default(false),
  }),
  hive_alert_config: z.looseObject({}),
  hive_observable_data_mapping: z.array(z.record(z.string(), z.unknown())).default([]),
  hive_timeout: seconds(10),
});

const MISSING = '<MISSING VALUE>';

/** A match field, else a rule option of that name, else the default (ElastAlert 2's lookup_field). */
function fieldOrRule(match: Match, rule: Doc, name: string, fallback: unknown): unknown {
  const v = lookupField(match, name);
  if (v !== undefined) return v;
  return name in rule && rule[name] !== null ? rule[name] : fallback;
}

/** Observables from hive_observable_data_mapping: the first key of each mapping names the type and the field. */
export function hiveArtifacts(mappings: readonly Doc[], match: Match, rule: Doc): Doc[] {
  const out: Doc[] = [];
  for (const mapping of mappings) {
    const [type, field] = Object.entries(mapping)[0] ?? [];
    if (type === undefined || type === 'tlp' || type === 'message' || type === 'tags') continue;
    const data = pythonStr(fieldOrRule(match, rule, String(field), ''));
    if (data.length === 0) continue;
    out.push({
      tlp: mapping.tlp ?? 2,
      tags: mapping.tags ?? [],
      message: mapping.message ?? null,
      dataType: type,
      data,
    });
  }
  return out;
}

function formatWithArgs(config: Doc, name: string, raw: unknown, match: Match, rule: Doc): unknown {
  const args = config[`${name}_args`];
  if (!Array.isArray(args)) return raw;
  const missing = config[`${name}_missing_value`] ?? MISSING;
  const values = args.map((arg) => fieldOrRule(match, rule, String(arg), missing) ?? missing);
  try {
    return pythonFormat(String(raw), values);
  } catch (err) {
    if (err instanceof FormatError) throw new FormatError(`hive_alert_config ${name}: ${err.message}`);
    throw err;
  }
}

/** The TheHive alert document for one alert. */
export function hiveAlert(
  config: Doc,
  mappings: readonly Doc[],
  content: AlertContent,
  now = Date.now(),
): Doc {
  const rule = content.options;
  const alert: Doc = {
    artifacts: [],
    customFields: {},
    date: Math.floor(now / 1000) * 1000,
    description: content.body,
    sourceRef: randomUUID(),
    tags: [],
    title: content.title,
    ...config,
  };
  const tags = new Set<string>();
  const artifacts: Doc[] = [];
  const tagNames = Array.isArray(alert.tags) ? (alert.tags as unknown[]) : [];
  for (const match of content.matches) {
    artifacts.push(...hiveArtifacts(mappings, match, rule));
    for (const tag of tagNames) {
      const value = fieldOrRule(match, rule, String(tag), tag);
      for (const v of Array.isArray(value) ? value : [value]) tags.add(pythonStr(v));
    }
  }
  alert.artifacts = artifacts;
  alert.tags = [...tags];
  const first = content.matches[0];
  if (first) {
    const custom: Doc = {};
    const fields = Array.isArray(alert.customFields) ? (alert.customFields as Doc[]) : [];
    fields.forEach((f, order) => {
      const value = typeof f.value === 'string' ? fieldOrRule(first, rule, f.value, f.value) : f.value;
      custom[String(f.name)] = { order, [String(f.type)]: value };
    });
    alert.customFields = custom;
    for (const name of ['description', 'title', 'type', 'source']) {
      alert[name] = formatWithArgs(config, name, alert[name], first, rule);
      delete alert[`${name}_args`];
      delete alert[`${name}_missing_value`];
    }
  }
  return alert;
}

export const hivealerterAlerter: AlerterDefinition = {
  name: 'hivealerter',
  aliases: ['elastalert.alerters.thehive.HiveAlerter'],
  summary: 'TheHive alert with tags, custom fields and observables from the matches (Bearer API key).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    for (const required of ['type', 'source'])
      if (!(required in o.hive_alert_config))
        throw new OptionProblem(
          'hive_alert_config',
          `needs "${required}" (TheHive requires the alert's ${required})`,
        );
    const c = o.hive_connection;
    const url = `${c.hive_host}:${c.hive_port}/api/alert`;
    try {
      new URL(url);
    } catch {
      throw new OptionProblem(
        'hive_connection',
        `hive_host must be a URL such as http://thehive.example.com (gives ${url})`,
      );
    }
    const scheme = new URL(url).protocol.replace(':', '');
    // hive_proxies is a requests proxies mapping (by scheme); certificates are checked only with hive_verify
    const proxies = 'hive_connection.hive_proxies';
    const t = transport(
      {
        hive_timeout: o.hive_timeout,
        [proxies]: c.hive_proxies[scheme],
        hive_ignore_ssl_errors: !c.hive_verify,
      },
      'hive',
      deps,
      { proxy: proxies },
    );
    const spec = {
      service: 'TheHive',
      http: { ...t.http, headers: { Accept: 'application/json', Authorization: `Bearer ${c.hive_apikey}` } },
      read: statusHints({
        401: 'check hive_connection.hive_apikey',
        403: 'check hive_connection.hive_apikey',
      }),
    };
    return channelAlerter({
      type: 'hivealerter',
      service: 'TheHive',
      channel: `hivealerter:${c.hive_host}:${c.hive_port}`,
      info: { type: 'hivealerter', hive_host: c.hive_host },
      secrets: [c.hive_apikey, ...t.secrets],
      logger: deps.logger,
      send: (content, signal) => {
        let alert: Doc;
        try {
          alert = hiveAlert(o.hive_alert_config, o.hive_observable_data_mapping, content);
        } catch (err) {
          if (!(err instanceof FormatError)) throw err;
          return Promise.resolve(failed(false, err.message));
        }
        return postJson(url, alert, spec, signal);
      },
    });
  },
};
