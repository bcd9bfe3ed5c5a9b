import { describe, expect, it } from 'vitest';
import { logLine, logTargetOf, relatedLogsRequest } from '../../../src/k8s/related-logs.ts';
import { relatedLogsBlock, trimRelatedLogsToFit } from '../../../src/format/related-logs-block.ts';
import { readRelatedLogsOptions } from '../../../src/rules/related-logs-options.ts';
import type { RelatedLogsSettings } from '../../../src/model/related-logs-settings.ts';

const settings = (raw: Record<string, unknown>): RelatedLogsSettings => {
  const r = readRelatedLogsOptions({ related_logs: raw });
  expect(r.problems).toEqual([]);
  return r.settings!;
};

const backOff = (extra: Record<string, unknown> = {}) => ({
  '@timestamp': '2024-05-14T10:00:05Z',
  event: {
    reason: 'BackOff',
    lastTimestamp: '2024-05-14T10:00:03Z',
    involvedObject: {
      kind: 'Pod',
      name: 'api-7d9f5c6b8d-x2b4q',
      namespace: 'prod',
      fieldPath: 'spec.containers{api}',
    },
    ...extra,
  },
});

describe('related_logs options', () => {
  it('fills the field defaults of each layout', () => {
    expect(settings({ index: 'logstash-*' })).toMatchObject({
      podField: 'kubernetes.pod_name',
      containerField: 'kubernetes.container_name',
      namespaceField: 'kubernetes.namespace_name',
      messageField: 'log',
      lines: 20,
      windowMs: 15 * 60_000,
    });
    expect(settings({ index: 'filebeat-*', layout: 'ecs', lines: 5 })).toMatchObject({
      podField: 'kubernetes.pod.name',
      containerField: 'kubernetes.container.name',
      namespaceField: 'kubernetes.namespace',
      messageField: 'message',
      lines: 5,
    });
  });

  it('says what to fix', () => {
    const problems = (raw: unknown) =>
      readRelatedLogsOptions({ related_logs: raw }).problems.map((p) => `${p.path.join('.')}: ${p.message}`);
    expect(problems({ layout: 'ecs' })[0]).toBe('related_logs.index: is required');
    expect(problems({ index: 'x', layout: 'filebeat' })[0]).toMatch(
      /layout: must be one of "fluentd", "ecs"|layout: must be fluentd/,
    );
    expect(problems({ index: 'x', lines: 0 })[0]).toMatch(/lines: must be at least 1/);
    expect(problems({ index: 'x', pod: 'a' })[0]).toMatch(/unknown key/);
    expect(problems('logstash-*')[0]).toMatch(/must be a mapping with at least index/);
  });
});

describe('which events get logs', () => {
  const s = settings({ index: 'logs-*' });
  it('a pod event of a listed reason, its container from the fieldPath, at its lastTimestamp', () => {
    expect(logTargetOf(backOff(), s, 0)).toEqual({
      namespace: 'prod',
      pod: 'api-7d9f5c6b8d-x2b4q',
      container: 'api',
      reason: 'BackOff',
      atMs: Date.parse('2024-05-14T10:00:03Z'),
    });
  });
  it('other reasons, other kinds and documents that are no events get none', () => {
    expect(logTargetOf(backOff({ reason: 'Pulled' }), s, 0)).toBeUndefined();
    const node = backOff();
    node.event.involvedObject.kind = 'Node';
    expect(logTargetOf(node, s, 0)).toBeUndefined();
    expect(logTargetOf({ message: 'hello' }, s, 0)).toBeUndefined();
  });
  it('without a fieldPath, every container of the pod', () => {
    const doc = backOff();
    delete (doc.event.involvedObject as { fieldPath?: string }).fieldPath;
    const target = logTargetOf(doc, s, 0)!;
    expect(target.container).toBeUndefined();
    const filters = (relatedLogsRequest(s, target).query as { bool: { filter: unknown[] } }).bool.filter;
    expect(JSON.stringify(filters)).not.toContain('container_name');
  });
  it('asks for the newest lines of the window before the event, on keyword or text+keyword fields', () => {
    const req = relatedLogsRequest(s, logTargetOf(backOff(), s, 0)!);
    expect(req).toMatchObject({ index: 'logs-*', size: 20, sort: [{ '@timestamp': { order: 'desc' } }] });
    expect(JSON.stringify(req.query)).toContain(
      '{"term":{"kubernetes.pod_name":"api-7d9f5c6b8d-x2b4q"}},{"term":{"kubernetes.pod_name.keyword":"api-7d9f5c6b8d-x2b4q"}}',
    );
    expect(JSON.stringify(req.query)).toContain(
      '"gte":"2024-05-14T09:45:03.000Z","lte":"2024-05-14T10:00:03.000Z"',
    );
  });
});

describe('how the lines are shown', () => {
  const match = (lines: string[]) => ({
    related_logs: lines.join('\n'),
    related_logs_count: lines.length,
    related_logs_source: 'prod/api-1, container api',
  });
  it('a code block under a heading; fences in log text cannot close it', () => {
    expect(relatedLogsBlock(match(['a', 'evil ``` text']))).toBe(
      '\nLast 2 log lines of prod/api-1, container api:\n```\na\nevil `\u200b`\u200b` text\n```\n',
    );
  });
  it('control characters and overlong lines are cut', () => {
    expect(logLine('a\u001b[31mred\u0000\n')).toBe('a [31mred ');
    expect(logLine('x'.repeat(1200))).toBe(`${'x'.repeat(1000)}…`);
  });
  it('the oldest lines give way when the message would not fit the channel', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'y'.repeat(90)}`);
    const render = (ms: Record<string, unknown>[]) => ms.map(relatedLogsBlock).join('');
    const fitted = trimRelatedLogsToFit([match(lines)], 2000, render);
    const text = render(fitted);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2000);
    expect(text).toContain('line 99 ');
    expect(text).not.toContain('line 0 ');
    expect(text).toMatch(
      /Last \d+ log lines of prod\/api-1, container api \(\d+ older lines left out to fit the message\)/,
    );
    expect(trimRelatedLogsToFit([match(lines)], undefined, render)[0]!.related_logs).toBe(lines.join('\n'));
  });
});
