/**
 * The `k8s` template fields (k8s_fields: true): the event time with its fallbacks, the owning
 * workload and cluster scope, readable from alert_text_args, alert_subject_args, alert_text_kw
 * and Jinja, while the match body ElastAlert 2 rules list stays as it was.
 */
import { describe, expect, it } from 'vitest';
import { alertBody, alertTitle, matchString } from '../../../src/format/alert-text.ts';
import { createJinjaRenderer } from '../../../src/format/jinja.ts';
import { eventTime, k8sFields } from '../../../src/k8s/event-view.ts';
import type { Doc } from '../../../src/model/lookup.ts';

const podEvent = (event: Doc = {}): Doc => ({
  '@timestamp': '2024-05-14T03:21:09.512Z',
  verb: 'UPDATED',
  event: {
    metadata: { name: 'api-7c9f8d6b5-x2k4p.17cf0a5b2e4c8d31', creationTimestamp: '2024-05-14T03:12:40Z' },
    involvedObject: { kind: 'Pod', namespace: 'prod', name: 'api-7c9f8d6b5-x2k4p' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container api',
    lastTimestamp: '2024-05-14T03:21:08Z',
    eventTime: null,
    ...event,
  },
});

const nodeEvent: Doc = {
  event: {
    metadata: { creationTimestamp: '2024-05-14T07:12:00Z' },
    involvedObject: { kind: 'Node', name: 'node-4', uid: 'node-4' },
    reason: 'NodeNotReady',
    eventTime: '2024-05-14T07:12:00.123456Z',
    lastTimestamp: null,
  },
};

describe('event time', () => {
  it('is lastTimestamp, else eventTime (events.k8s.io events), else the creation time', () => {
    expect(eventTime(podEvent())).toBe('2024-05-14T03:21:08Z');
    expect(eventTime(nodeEvent)).toBe('2024-05-14T07:12:00.123456Z');
    expect(eventTime(podEvent({ lastTimestamp: null }))).toBe('2024-05-14T03:12:40Z');
    expect(eventTime({ message: 'not an event' })).toBeUndefined();
  });
});

describe('k8sFields', () => {
  it('names the owning workload of a pod', () => {
    expect(k8sFields(podEvent())).toEqual({
      event_time: '2024-05-14T03:21:08Z',
      namespace: 'prod',
      cluster_scoped: false,
      kind: 'Pod',
      name: 'api-7c9f8d6b5-x2k4p',
      owner_kind: 'Deployment',
      owner_name: 'api',
    });
  });

  it('shows cluster-scoped objects (no namespace, or an empty one) as "(cluster)"', () => {
    expect(k8sFields(nodeEvent)).toMatchObject({
      namespace: '(cluster)',
      cluster_scoped: true,
      owner_kind: 'Node',
    });
    const pv = { event: { involvedObject: { kind: 'PersistentVolume', name: 'pvc-0b1c', namespace: '' } } };
    expect(k8sFields(pv)).toMatchObject({ namespace: '(cluster)', cluster_scoped: true });
  });

  it('leaves the object fields undefined for a document that is not an event', () => {
    expect(k8sFields({ message: 'x' })).toEqual({
      event_time: undefined,
      namespace: undefined,
      cluster_scoped: undefined,
      kind: undefined,
      name: undefined,
      owner_kind: undefined,
      owner_name: undefined,
    });
  });
});

describe('in alert texts', () => {
  const source = (raw: Doc) => ({
    raw,
    name: 'crashloop',
    matchText: () => '',
    renderJinja: createJinjaRenderer(),
  });

  it('alert_text_args and alert_subject_args read k8s.* when the rule sets k8s_fields', () => {
    const raw = {
      k8s_fields: true,
      alert_subject: '{}/{} in {}',
      alert_subject_args: ['k8s.owner_kind', 'k8s.owner_name', 'k8s.namespace'],
      alert_text: '{} at {}',
      alert_text_args: ['event.reason', 'k8s.event_time'],
      alert_text_type: 'alert_text_only',
    };
    expect(alertTitle(source(raw), [podEvent()])).toBe('Deployment/api in prod');
    expect(alertTitle(source(raw), [nodeEvent])).toBe('Node/node-4 in (cluster)');
    expect(alertBody(source(raw), [podEvent()])).toBe('BackOff at 2024-05-14T03:21:08Z\n\n');
  });

  it('without k8s_fields, k8s.* is a missing value (as in ElastAlert 2)', () => {
    const raw = { alert_text: '{}', alert_text_args: ['k8s.event_time'], alert_text_type: 'alert_text_only' };
    expect(alertBody(source(raw), [podEvent()])).toBe('<MISSING VALUE>\n\n');
  });

  it('alert_text_kw and Jinja templates read them too', () => {
    const kw = {
      k8s_fields: true,
      alert_text: '{when}: {owner}',
      alert_text_kw: { 'k8s.event_time': 'when', 'k8s.owner_name': 'owner' },
      alert_text_type: 'alert_text_only',
    };
    expect(matchString(source(kw), nodeEvent)).toBe('2024-05-14T07:12:00.123456Z: node-4\n\n');
    const jinja = {
      k8s_fields: true,
      alert_subject: '{{ k8s.owner_kind }} {{ k8s.owner_name }}',
      alert_text:
        '{{ k8s.name }} of {{ _data.k8s.owner_name }}{% if k8s.cluster_scoped %} (cluster){% endif %}',
      alert_text_type: 'alert_text_jinja',
    };
    expect(alertTitle(source(jinja), [podEvent()])).toBe('Deployment api');
    expect(matchString(source(jinja), podEvent())).toBe('api-7c9f8d6b5-x2k4p of api\n\n');
  });

  it('the default body, which lists every match field, gains no k8s field', () => {
    const plain = matchString(source({}), podEvent());
    expect(matchString(source({ k8s_fields: true }), podEvent())).toBe(plain);
    expect(plain).not.toContain('k8s');
  });
});
