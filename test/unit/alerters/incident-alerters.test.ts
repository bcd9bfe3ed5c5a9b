/**
 * Payloads and replies of the incident-management alerters beyond the contract suite:
 * PagerDuty v1 and v2 keys and details, Opsgenie placeholders and responders, Alerta's
 * resolve_string, Alertmanager labels and endsAt, Splunk On-Call, Flashduty, Datadog, PagerTree.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlerterDefinition } from '../../../src/alerters/alerter.ts';
import { alertaAlerter, resolveString } from '../../../src/alerters/alerta.ts';
import { alertmanagerAlerter } from '../../../src/alerters/alertmanager.ts';
import { datadogAlerter } from '../../../src/alerters/datadog.ts';
import { flashdutyAlerter } from '../../../src/alerters/flashduty.ts';
import { expandVars, opsgenieAlerter } from '../../../src/alerters/opsgenie.ts';
import { pagerDutyAlerter } from '../../../src/alerters/pagerduty.ts';
import { alertUuid, pagerTreeAlerter } from '../../../src/alerters/pagertree.ts';
import { victorOpsAlerter } from '../../../src/alerters/victorops.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';
import { captureLog, deps } from './support/alert-content.ts';
import { trySend } from './support/try-send.ts';

const MATCH = {
  '@timestamp': '2024-05-14T03:21:09Z',
  host: { name: 'node-7', ip: '10.0.0.7' },
  service: 'checkout',
  level: 2,
  message: 'disk full',
};
const RULE = { name: 'Incident rule', type: 'any' };

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver({ status: 202, body: { status: 'success' } });
});
afterAll(() => rx.close());
beforeEach(() => {
  rx.received.length = 0;
});

const lastJson = () => rx.received.at(-1)!.json as Doc;
const send = (
  def: AlerterDefinition,
  options: Doc,
  matches: Doc[] = [MATCH],
  env?: (n: string) => string | undefined,
) => trySend(def, { ...RULE, ...options }, matches, env ? { env } : {});

describe('pagerduty', () => {
  const v1 = () => ({
    pagerduty_service_key: 'svc0123456789abcdef',
    pagerduty_client_name: 'esalert',
    pagerduty_api_url: `${rx.url}/generic/2010-04-15/create_event.json`,
  });

  it('v1 (the default): service_key, description, incident key from args and rule options', async () => {
    await send(pagerDutyAlerter, {
      ...v1(),
      alert_subject: 'Disk on {0}',
      alert_subject_args: ['host.name'],
      pagerduty_incident_key: '{0}-{1}-{2}',
      pagerduty_incident_key_args: ['host.name', 'owner', 'missing'],
      owner: 'sre',
    });
    expect(lastJson()).toEqual({
      service_key: 'svc0123456789abcdef',
      description: 'Disk on node-7',
      event_type: 'trigger',
      incident_key: 'node-7-sre-<MISSING VALUE>',
      client: 'esalert',
      details: { information: expect.stringContaining('message: disk full') },
    });
  });

  it('v1 throttling answers 403: retryable', async () => {
    rx.script({ status: 403, body: { status: 'throttled', message: 'Too many requests' } });
    const { outcome } = await send(pagerDutyAlerter, v1());
    expect(outcome).toMatchObject({ ok: false, retryable: true });
  });

  it('v2: custom details from match fields or literal, formatted payload parts, timestamp', async () => {
    await send(pagerDutyAlerter, {
      ...v1(),
      pagerduty_api_version: 'v2',
      pagerduty_api_url: `${rx.url}/v2/enqueue`,
      pagerduty_event_type: 'resolve',
      pagerduty_v2_payload_include_all_info: false,
      pagerduty_v2_payload_custom_details: { ip: 'host.ip', team: 'storage' },
      pagerduty_v2_payload_source: '{0}',
      pagerduty_v2_payload_source_args: ['host.name'],
      pagerduty_v2_payload_severity: 'warning',
      pagerduty_v2_payload_component: 'disk',
    });
    expect(lastJson()).toEqual({
      routing_key: 'svc0123456789abcdef',
      event_action: 'resolve',
      dedup_key: '',
      client: 'esalert',
      payload: {
        class: '',
        component: 'disk',
        group: '',
        severity: 'warning',
        source: 'node-7',
        summary: 'Incident rule',
        custom_details: { ip: '10.0.0.7', team: 'storage' },
        timestamp: '2024-05-14T03:21:09Z',
      },
    });
  });

  it('v2 invalid event: permanent and points at the key', async () => {
    rx.script({
      status: 400,
      body: {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["'routing_key' is invalid"],
      },
    });
    const { outcome } = await send(pagerDutyAlerter, {
      ...v1(),
      pagerduty_api_version: 'v2',
      pagerduty_api_url: `${rx.url}/v2/enqueue`,
    });
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/pagerduty_service_key/),
    });
  });
});

describe('opsgenie', () => {
  const base = () => ({ opsgenie_key: 'genie-key-0123456789', opsgenie_addr: `${rx.url}/v2/alerts` });

  it('formats message, alias, entity, source, tags and priority with match fields', async () => {
    await send(opsgenieAlerter, {
      ...base(),
      opsgenie_message: 'Disk full on {host[name]}',
      opsgenie_alias: '{service}-disk',
      opsgenie_entity: '{host[name]}',
      opsgenie_source: '{service} prod',
      opsgenie_tags: ['svc:{service}'],
      opsgenie_priority: 'P{level}',
      opsgenie_account: 'esalert',
      opsgenie_description: 'Level {level}',
    });
    expect(lastJson()).toMatchObject({
      message: 'Disk full on node-7',
      alias: 'checkout-disk',
      entity: 'node-7',
      source: 'checkout prod',
      tags: ['svc:checkout', 'ElastAlert', 'Incident rule'],
      priority: 'P2',
      user: 'esalert',
      description: 'Level 2',
    });
  });

  it('the title: opsgenie_subject with args, else "ElastAlert: <rule> - <query_key value>"', async () => {
    await send(opsgenieAlerter, {
      ...base(),
      opsgenie_subject: '{0} on {1}',
      opsgenie_subject_args: ['message', 'nope'],
    });
    expect(lastJson().message).toBe('disk full on <MISSING VALUE>');
    await send(opsgenieAlerter, { ...base(), query_key: 'service' });
    expect(lastJson().message).toBe('ElastAlert: Incident rule - checkout');
  });

  it('recipients and teams from *_args; defaults when none can be filled', async () => {
    await send(opsgenieAlerter, {
      ...base(),
      opsgenie_recipients: ['{owner}@example.com'],
      opsgenie_recipients_args: { owner: 'nope' },
      opsgenie_default_recipients: ['oncall@example.com'],
      opsgenie_teams: ['team-{svc}'],
      opsgenie_teams_args: { svc: 'service' },
    });
    expect(lastJson().responders).toEqual([
      { username: 'oncall@example.com', type: 'user' },
      { name: 'team-checkout', type: 'team' },
    ]);
    expect(lastJson().teams).toEqual([{ name: 'team-checkout', type: 'team' }]);
  });

  it('a priority outside P1..P5 is left out with a warning', async () => {
    const { log } = await send(opsgenieAlerter, { ...base(), opsgenie_priority: 'urgent' });
    expect(lastJson()).not.toHaveProperty('priority');
    expect(log.text()).toContain('not one of P1..P5');
  });

  it('details: match fields as text, constants, and $VARS from the environment', async () => {
    await send(
      opsgenieAlerter,
      {
        ...base(),
        opsgenie_details: {
          Level: { field: 'level' },
          Missing: { field: 'nope' },
          Env: '$STAGE/${REGION}',
          Const: 'x',
        },
      },
      [MATCH],
      (n) => ({ STAGE: 'prod', REGION: 'eu' })[n],
    );
    expect(lastJson().details).toEqual({ Level: '2', Env: 'prod/eu', Const: 'x' });
    expect(expandVars('$NOPE and ${NOPE}', () => undefined)).toBe('$NOPE and ${NOPE}');
  });

  it('a placeholder the match lacks fails permanently, naming the option', async () => {
    const { outcome } = await send(opsgenieAlerter, { ...base(), opsgenie_alias: '{nope}' });
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/opsgenie_alias/),
    });
  });

  it('opsgenie_addr takes placeholders from the match', async () => {
    await send(opsgenieAlerter, {
      ...base(),
      opsgenie_addr: `${rx.url}/v2/alerts/{service}/close?identifierType=alias`,
    });
    expect(rx.received.at(-1)!.path).toBe('/v2/alerts/checkout/close?identifierType=alias');
  });

  it('401 points at the key and the region', async () => {
    rx.script({ status: 401, body: { message: 'Key format is not valid!' } });
    const { outcome } = await send(opsgenieAlerter, base());
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/opsgenie_key.*eu/),
    });
  });
});

describe('alerta', () => {
  it('resolve_string: old and new style, nested fields, missing values, invalid formats left alone', () => {
    expect(resolveString('%(host.name)s is %(message)s', MATCH)).toBe('node-7 is disk full');
    expect(resolveString('{host[name]}/{service}', MATCH)).toBe('node-7/checkout');
    expect(resolveString('{nope} and %(nope)s', MATCH, '?')).toBe('? and ?');
    expect(resolveString('100% {service}', MATCH)).toBe('100% checkout');
  });

  it('uses the query_key value as resource and "<rule>.<qk>" as default event', async () => {
    await send(alertaAlerter, {
      alerta_api_url: `${rx.url}/api/alert`,
      query_key: 'service',
      alerta_use_qk_as_resource: true,
      alerta_event: '',
      alerta_attributes_keys: ['host', 'ip'],
      alerta_attributes_values: ['%(host.name)s', '{host[ip]}'],
      alerta_tags: ['{service}'],
    });
    expect(lastJson()).toMatchObject({
      resource: 'checkout',
      event: 'Incident rule.checkout',
      attributes: { host: 'node-7', ip: '10.0.0.7' },
      tags: ['checkout'],
    });
    expect(rx.received.at(-1)!.headers.authorization).toBeUndefined();
  });
});

describe('alertmanager', () => {
  it('labels from templates and fields, annotations with renamed subject/body, endsAt from resolve_time', async () => {
    rx.script({ status: 200 });
    const before = Date.now();
    await send(alertmanagerAlerter, {
      alertmanager_hosts: [rx.url],
      alertmanager_alertname: 'DiskFull',
      alertmanager_labels: { host: '{{ host.name }}', dotted: '{{ _data["service"] }}', static: 'x' },
      alertmanager_fields: { lvl: 'level', hostobj: 'host', none: 'nope' },
      alertmanager_annotations: { runbook: 'https://runbooks/{{ service }}' },
      alertmanager_alert_subject_labelname: 'title',
      alertmanager_alert_text_labelname: 'text',
      alertmanager_resolve_time: { minutes: 10 },
    });
    expect(rx.received.at(-1)!.path).toBe('/api/v1/alerts');
    const [alert] = rx.received.at(-1)!.json as Doc[];
    expect(alert!.labels).toEqual({
      host: 'node-7',
      dotted: 'checkout',
      static: 'x',
      lvl: '2',
      hostobj: '{"name": "node-7", "ip": "10.0.0.7"}',
      none: 'null',
      alertname: 'DiskFull',
      elastalert_rule: 'Incident rule',
    });
    expect(alert!.annotations).toMatchObject({
      runbook: 'https://runbooks/checkout',
      title: 'Incident rule',
    });
    const ends = Date.parse(alert!.endsAt as string);
    expect(ends - before).toBeGreaterThanOrEqual(600_000);
    expect(alert!.endsAt).toMatch(/\.\d{6}\+00:00$/);
  });

  it('a template that does not compile is refused when the rule loads', () => {
    expect(() =>
      alertmanagerAlerter.create(
        { ...RULE, alertmanager_hosts: ['http://am:9093'], alertmanager_labels: { x: '{{ oops' } },
        deps(captureLog()),
      ),
    ).toThrow(/alertmanager_labels|x is not a valid Jinja template/);
  });

  it('a 404 on the v1 API says to use v2', async () => {
    rx.script({ status: 404, body: '404 page not found' });
    const { outcome } = await send(alertmanagerAlerter, { alertmanager_hosts: [rx.url] });
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/alertmanager_api_version: v2/),
    });
  });
});

describe('victorops', () => {
  it('merges the first match over the event and sets entity_id', async () => {
    rx.script({ status: 200, body: { result: 'success', entity_id: 'disk' } });
    await send(victorOpsAlerter, {
      victorops_api_key: 'api-key-0123456789',
      victorops_routing_key: 'storage',
      victorops_message_type: 'WARNING',
      victorops_entity_id: 'disk-{host}',
      victorops_entity_display_name: 'Disk',
      victorops_api_url: `${rx.url}/alert`,
    });
    expect(rx.received.at(-1)!.path).toBe('/alert/api-key-0123456789/storage');
    expect(lastJson()).toMatchObject({
      message_type: 'WARNING',
      entity_display_name: 'Disk',
      entity_id: 'disk-{host}',
      service: 'checkout',
    });
  });

  it('result failure inside HTTP 200 is a failure', async () => {
    rx.script({ status: 200, body: { result: 'failure', message: 'Unknown routing key' } });
    const { outcome } = await send(victorOpsAlerter, {
      victorops_api_key: 'api-key-0123456789',
      victorops_routing_key: 'nope',
      victorops_message_type: 'INFO',
      victorops_api_url: `${rx.url}/alert`,
    });
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/routing_key/),
    });
  });
});

describe('flashduty', () => {
  it('leaves out options that are not set (ElastAlert 2 sends null)', async () => {
    rx.script({ status: 200, body: { request_id: 'r', data: {} } });
    await send(flashdutyAlerter, {
      flashduty_integration_key: 'fdkey0123456789',
      flashduty_api_url: `${rx.url}/event/push/alert/standard`,
      flashduty_alert_key: 'disk-node-7',
      flashduty_env: 'prod',
    });
    expect(lastJson()).toEqual({
      title: 'ElastAlert Alert',
      event_status: 'Info',
      alert_key: 'disk-node-7',
      labels: { env: 'prod', information: expect.any(String) },
    });
  });
});

describe('datadog', () => {
  it('waits X-RateLimit-Reset seconds on 429', async () => {
    rx.script({
      status: 429,
      body: { errors: ['Rate limit exceeded'] },
      headers: { 'x-ratelimit-reset': '17' },
    });
    const { outcome } = await send(datadogAlerter, {
      datadog_api_key: 'dd-api-key-0123',
      datadog_app_key: 'dd-app-key-0123',
      datadog_api_url: `${rx.url}/api/v1/events`,
    });
    expect(outcome).toMatchObject({ ok: false, retryable: true, retryAfterMs: 17_000 });
  });
});

describe('pagertree', () => {
  it('the incident Id is a UUID that stays the same for the same alert', () => {
    const content = { ruleName: 'r', matches: [MATCH] };
    expect(alertUuid(content)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(alertUuid(content)).toBe(alertUuid({ ruleName: 'r', matches: [{ ...MATCH }] }));
    expect(alertUuid(content)).not.toBe(alertUuid({ ruleName: 'r', matches: [{ ...MATCH, level: 3 }] }));
  });

  it('keeps the integration id out of info()', () => {
    const a = pagerTreeAlerter.create(
      { ...RULE, pagertree_integration_url: 'https://api.pagertree.com/integration/int_abc123' },
      deps(captureLog()),
    );
    expect(JSON.stringify(a.info())).not.toContain('int_abc123');
  });
});
