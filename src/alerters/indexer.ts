/**
 * ElastAlert 2's `indexer`: writes each alert as a document into an Elasticsearch or OpenSearch
 * index (POST /<index>/_doc?refresh=true). The document is indexer_alert_config with its values
 * taken from the first match where they name a match field, as ElastAlert 2 builds it. The
 * connection comes from indexer_connection or from the config file named by indexer_config, and
 * only from there: unlike ElastAlert 2, the ES_* environment variables (esalert's own connection
 * and credentials) are not applied to it.
 */
import { readFileSync } from 'node:fs';
import { parseYaml } from '../config/yaml-source.ts';
import { z } from 'zod';
import {
  type EsConnectionKeys,
  type EsConnectionOptions,
  connectionSecrets,
  resolveEsConnection,
} from '../config/es-connection.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import { redactUrl } from '../util/redact.ts';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { channelAlerter } from './channel-alerter.ts';
import { HttpFailure, httpOutcome } from './http.ts';
import { readOptions } from './options.ts';
import { failed, isSuccess, type Reply, replyObject, sendRequest } from './send-request.ts';
import { basicAuth } from './transport.ts';

const schema = z.object({
  indexer_alert_config: z.record(z.string(), z.unknown(), {
    error: 'is required: the fields of the alert document',
  }),
  indexer_connection: z.looseObject({}).optional(),
  indexer_config: z.string().optional(),
  indexer_alerts_name: z.string().optional(),
});

const isPlainObject = (v: unknown): v is Doc => v !== null && typeof v === 'object' && !Array.isArray(v);

function flatten(d: Doc, prefix = '', out: Doc = {}): Doc {
  for (const [k, v] of Object.entries(d)) {
    if (isPlainObject(v)) flatten(v, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

function nest(d: Doc): Doc {
  const out: Doc = {};
  for (const [key, value] of Object.entries(d)) {
    const parts = key.split('.');
    let at = out;
    for (const p of parts.slice(0, -1)) {
      if (!isPlainObject(at[p])) at[p] = {};
      at = at[p] as Doc;
    }
    at[parts.at(-1)!] = value;
  }
  return out;
}

/** ElastAlert 2's lookup_field: the match field, else the rule option of that name, else the text itself. */
function valueOf(name: string, match: Match, rule: Doc): unknown {
  return lookupField(match, name) ?? (name in rule ? rule[name] : name);
}

/** The query text of the rule's first filter ({query: {query_string: {query: "..."}}}). */
function filterQuery(rule: Doc): unknown {
  const first = Array.isArray(rule.filter) ? (rule.filter[0] as unknown) : undefined;
  if (!isPlainObject(first)) return 'filter';
  let query: unknown;
  for (const inner of Object.values(first))
    if (isPlainObject(inner)) for (const q of Object.values(inner)) query = q;
  return isPlainObject(query) && 'query' in query ? query.query : 'filter';
}

function listFields(list: unknown[], match: Match, rule: Doc): Doc {
  const out: Doc = {};
  for (const item of list) {
    if (!isPlainObject(item)) continue;
    if (item.value) {
      const v = item.value;
      out[String(item.name)] =
        typeof v === 'string' ? (v === 'filter' ? filterQuery(rule) : valueOf(v, match, rule)) : v;
    } else {
      for (const [k, v] of Object.entries(item)) out[k] = Array.isArray(v) ? listFields(v, match, rule) : {};
    }
  }
  return out;
}

const nowStamp = (now: number) => new Date(now).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** The alert document: fields naming match fields get their values, fields found nowhere are left out. */
export function indexerDocument(config: Doc, match: Match | undefined, rule: Doc, now = Date.now()): Doc {
  let doc: Doc = { '@timestamp': nowStamp(now), ...config };
  if (match) {
    doc = flatten(doc);
    for (const [k, v] of Object.entries(doc))
      doc[k] =
        typeof v === 'string' ? valueOf(v, match, rule) : Array.isArray(v) ? listFields(v, match, rule) : v;
  }
  const flat = flatten(doc);
  for (const [k, v] of Object.entries(flat)) if (k === v) delete flat[k];
  return nest(flat);
}

const CONNECTION_KEYS: Record<string, keyof EsConnectionKeys> = {
  es_host: 'es_host',
  es_hosts: 'es_hosts',
  es_port: 'es_port',
  use_ssl: 'use_ssl',
  verify_certs: 'verify_certs',
  ca_certs: 'ca_certs',
  ca_cert: 'ca_certs',
  es_username: 'es_username',
  es_password: 'es_password',
  es_api_key: 'es_api_key',
  es_bearer: 'es_bearer',
  es_url_prefix: 'es_url_prefix',
  es_conn_timeout: 'es_conn_timeout',
};

interface Target {
  connection: EsConnectionOptions;
  index: string | undefined;
}

export const indexerAlerter: AlerterDefinition = {
  name: 'indexer',
  aliases: ['elastalert.alerters.indexer.IndexerAlerter'],
  summary: 'Writes the alert as a document into an Elasticsearch/OpenSearch index.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    // the rule's own settings only: esalert's ES_* credentials are not lent to a rule's writes
    const env = () => undefined;
    if (!o.indexer_connection && !o.indexer_config)
      throw new OptionProblem(
        'indexer_connection',
        'or indexer_config is required: where the alert index lives (es_host, es_port...)',
      );
    const option = o.indexer_connection ? 'indexer_connection' : 'indexer_config';
    const target = (): Target => {
      let data: Doc;
      if (o.indexer_connection) data = o.indexer_connection;
      else {
        try {
          // as ElastAlert 2 reads it (PyYAML)
          data = (parseYaml(o.indexer_config!, readFileSync(o.indexer_config!, 'utf8')).value ?? {}) as Doc;
        } catch (err) {
          throw new OptionProblem(
            'indexer_config',
            `cannot read ${o.indexer_config} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`,
          );
        }
      }
      const keys: Record<string, unknown> = {};
      for (const [from, to] of Object.entries(CONNECTION_KEYS))
        if (data[from] !== undefined) keys[to] = data[from];
      try {
        const connection = resolveEsConnection(keys as EsConnectionKeys, env);
        const index =
          typeof data.indexer_alerts_name === 'string' ? data.indexer_alerts_name : o.indexer_alerts_name;
        return { connection, index };
      } catch (err) {
        throw new OptionProblem(option, errorMessage(err));
      }
    };
    let known: Target | undefined;
    try {
      known = target();
    } catch (err) {
      // a config file that is not there yet (another machine's path) is looked for again when alerting
      if (!(err instanceof OptionProblem && err.option === 'indexer_config' && !o.indexer_connection))
        throw err;
      deps.logger.warn(`${err.message}; the indexer alerter tries again when it alerts`);
    }
    if (known && !known.index)
      throw new OptionProblem(option, 'needs indexer_alerts_name: the index to write alerts to');
    const secretsOf = (t: Target | undefined) => {
      if (!t) return [];
      const s = connectionSecrets(t.connection);
      const a = t.connection.auth;
      if (a?.kind === 'basic') s.push(...basicAuth(a.username, a.password).secrets);
      return s;
    };
    const readIndexed = (r: Reply): SendOutcome | undefined => {
      if (isSuccess(r.status)) return undefined;
      const e = (replyObject(r)?.error ?? {}) as { type?: string; reason?: string };
      const hint = r.status === 401 || r.status === 403 ? ` (check the credentials in ${option})` : '';
      const what = e.type
        ? `${redactUrl(r.url)} answered HTTP ${r.status}: ${e.type}: ${e.reason ?? ''}`
        : '';
      const outcome = httpOutcome(r.url, r);
      return outcome.ok ? outcome : { ...outcome, reason: `${what || outcome.reason}${hint}` };
    };
    return channelAlerter({
      type: 'indexer',
      service: 'the index',
      channel: `indexer:${known?.connection.nodes[0] ?? o.indexer_config}/${known?.index ?? ''}`,
      info: () => ({ type: 'indexer', ...(known?.index ? { indexer_alerts_name: known.index } : {}) }),
      secrets: () => secretsOf(known),
      logger: deps.logger,
      send: async (content, signal): Promise<SendOutcome> => {
        try {
          known = target();
        } catch (err) {
          if (!(err instanceof OptionProblem)) throw err;
          return failed(false, `${err.option}: ${err.message}`);
        }
        const { connection, index } = known;
        if (!index) return failed(false, `${option} needs indexer_alerts_name`);
        const doc = JSON.stringify(
          indexerDocument(o.indexer_alert_config, content.matches[0], content.options),
        );
        const auth = connection.auth;
        const spec = {
          service: 'Elasticsearch',
          http: {
            headers: {
              'Content-Type': 'application/json',
              Accept: 'application/json',
              ...(auth?.kind === 'apiKey'
                ? { Authorization: `ApiKey ${auth.apiKey}` }
                : auth?.kind === 'bearer'
                  ? { Authorization: `Bearer ${auth.token}` }
                  : auth?.kind === 'basic'
                    ? { Authorization: basicAuth(auth.username, auth.password).header }
                    : {}),
            },
            timeoutMs: connection.requestTimeoutMs,
            ...(connection.tls?.caFile ? { caCerts: connection.tls.caFile } : {}),
            ...(connection.tls && !connection.tls.rejectUnauthorized ? { ignoreSslErrors: true } : {}),
          },
          read: readIndexed,
        };
        // the nodes in turn until one answers
        let lastFailure: unknown;
        for (const node of connection.nodes) {
          const url = `${node}/${encodeURIComponent(index)}/_doc?refresh=true`;
          try {
            const outcome = await sendRequest(url, doc, spec, signal);
            if (outcome.ok) deps.logger.info({ index }, 'alert written to the index');
            return outcome;
          } catch (err) {
            lastFailure = err;
            if (signal.aborted || !(err instanceof HttpFailure)) break;
          }
        }
        throw lastFailure;
      },
    });
  },
};
