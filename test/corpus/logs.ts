/**
 * Container logs beside the event corpus, as a log shipper indexes them, in the two field
 * layouts esalert's related_logs knows: fluentd / fluent-bit's kubernetes metadata
 * (kubernetes.pod_name, kubernetes.container_name, kubernetes.namespace_name, log) and
 * Filebeat's ECS (kubernetes.pod.name, kubernetes.container.name, kubernetes.namespace, message).
 *
 * Derived from the events, deterministically: every container start (a Started event) logs its
 * start-up lines; a container that crash-loops (its pod has "Back-off restarting failed
 * container" events) then logs an error, a panic and its exit a moment later, before kubelet's
 * BackOff event. Each line carries its restart number, so tests can tell which lines are the
 * last ones before a given event.
 */
import { createHash } from 'node:crypto';
import type { CorpusDoc } from './kube.ts';

export type LogLayout = 'fluentd' | 'ecs';

export interface LogLine {
  at: number;
  namespace: string;
  pod: string;
  container: string;
  text: string;
}

export interface LogDoc {
  _id: string;
  _source: Record<string, unknown>;
}

const CONTAINER_PATH = /^spec\.containers\{(.+)\}$/;

/** The log lines of the containers started in `events`, oldest first. */
export function containerLogLines(events: readonly CorpusDoc[]): LogLine[] {
  const crashing = new Set<string>();
  for (const { _source: d } of events) {
    if (d.event.reason === 'BackOff' && d.event.message.startsWith('Back-off restarting failed container'))
      crashing.add(`${d.event.involvedObject.namespace}/${d.event.involvedObject.name}`);
  }
  const lines: LogLine[] = [];
  const restarts = new Map<string, number>();
  for (const { _source: d } of events) {
    const obj = d.event.involvedObject;
    if (d.event.reason !== 'Started' || obj.kind !== 'Pod' || !obj.namespace) continue;
    const container = CONTAINER_PATH.exec(obj.fieldPath ?? '')?.[1];
    if (!container) continue;
    const key = `${obj.namespace}/${obj.name}`;
    const n = (restarts.get(key) ?? 0) + 1;
    restarts.set(key, n);
    const t = Date.parse(d['@timestamp']);
    const line = (offsetMs: number, text: string) =>
      lines.push({ at: t + offsetMs, namespace: obj.namespace!, pod: obj.name, container, text });
    line(200, `level=info msg="starting ${container}" start=${n}`);
    line(600, `level=info msg="configuration loaded" start=${n} config=/etc/${container}/config.yaml`);
    if (crashing.has(key)) {
      line(1200, `level=error msg="dial tcp 10.0.3.7:5432: connect: connection refused" start=${n}`);
      line(1300, `panic: cannot start ${container} without its database (start ${n})`);
      line(1310, '');
      line(1320, `goroutine 1 [running]:\nmain.main()\n\t/src/cmd/${container}/main.go:42 +0x1d4`);
      line(1400, `exit status 2 (start ${n})`);
    } else {
      line(900, `level=info msg="listening" addr=:8080 start=${n}`);
    }
  }
  return lines.sort((a, b) => a.at - b.at);
}

/** A log line as the shipper of `layout` indexes it. */
export function logDocument(l: LogLine, layout: LogLayout): Record<string, unknown> {
  const ts = new Date(l.at).toISOString();
  if (layout === 'fluentd')
    return {
      '@timestamp': ts,
      log: `${l.text}\n`,
      stream: 'stdout',
      kubernetes: { pod_name: l.pod, container_name: l.container, namespace_name: l.namespace },
    };
  return {
    '@timestamp': ts,
    message: l.text,
    stream: 'stdout',
    kubernetes: { pod: { name: l.pod }, container: { name: l.container }, namespace: l.namespace },
    data_stream: { type: 'logs', dataset: 'kubernetes.container_logs' },
  };
}

/** The log documents for `events` in `layout`, with ids that are the same on every run. */
export function generateLogs(events: readonly CorpusDoc[], layout: LogLayout): LogDoc[] {
  return containerLogLines(events).map((l, i) => ({
    _id: createHash('sha1').update(`${layout}:${i}`).digest('base64url').slice(0, 20),
    _source: logDocument(l, layout),
  }));
}
