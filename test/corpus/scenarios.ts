/**
 * What happens in the simulated cluster. Each scenario emits the eventrouter documents for one
 * kind of activity, window by window, and records what it did in the manifest so that tests can
 * assert on ground truth ("these pods crash-looped from..to") rather than on magic numbers.
 */
import {
  type ClusterClock,
  type Emission,
  type EventSeries,
  type ObjectRef,
  type SeriesInit,
  podName,
  replicaSetHash,
} from './kube.ts';
import type { Random } from './random.ts';

const MIN = 60_000;

export interface Deployment {
  namespace: string;
  name: string;
  container: string;
  image: string;
  replicas: number;
}

export const DEPLOYMENTS: readonly Deployment[] = [
  {
    namespace: 'prod',
    name: 'api',
    container: 'api',
    image: 'registry.example.com/shop/api:1.14.2',
    replicas: 3,
  },
  {
    namespace: 'prod',
    name: 'web',
    container: 'nginx',
    image: 'registry.example.com/shop/web:2.3.0',
    replicas: 2,
  },
  {
    namespace: 'prod',
    name: 'worker',
    container: 'worker',
    image: 'registry.example.com/shop/worker:1.14.2',
    replicas: 4,
  },
  {
    namespace: 'payments',
    name: 'gateway',
    container: 'gateway',
    image: 'registry.example.com/pay/gateway:3.1.0',
    replicas: 6,
  },
  {
    namespace: 'payments',
    name: 'ledger',
    container: 'ledger',
    image: 'registry.example.com/pay/ledger:3.0.7',
    replicas: 2,
  },
  {
    namespace: 'staging',
    name: 'api',
    container: 'api',
    image: 'registry.example.com/shop/api:1.15.0-rc2',
    replicas: 1,
  },
  {
    namespace: 'staging',
    name: 'web',
    container: 'nginx',
    image: 'registry.example.com/shop/web:2.4.0-rc1',
    replicas: 1,
  },
  {
    namespace: 'search',
    name: 'query',
    container: 'query',
    image: 'registry.example.com/search/query:8.4.1',
    replicas: 3,
  },
  {
    namespace: 'search',
    name: 'indexer',
    container: 'indexer',
    image: 'registry.example.com/search/indexer:8.4.1',
    replicas: 2,
  },
  {
    namespace: 'monitoring',
    name: 'grafana',
    container: 'grafana',
    image: 'grafana/grafana:11.2.0',
    replicas: 1,
  },
  {
    namespace: 'kube-system',
    name: 'coredns',
    container: 'coredns',
    image: 'registry.k8s.io/coredns/coredns:v1.11.1',
    replicas: 2,
  },
  { namespace: 'default', name: 'echo', container: 'echo', image: 'hashicorp/http-echo:1.0', replicas: 1 },
];

export const NODES = ['node-1', 'node-2', 'node-3', 'node-4', 'node-5', 'node-6'] as const;

export interface CrashLoop {
  namespace: string;
  deployment: string;
  pod: string;
  container: string;
  from: string;
  to: string;
  backOffDocs: number;
}

export interface ImagePullFailure {
  namespace: string;
  deployment: string;
  pod: string;
  image: string;
  from: string;
  to: string;
}

export interface Manifest {
  seed: string;
  start: string;
  end: string;
  crashLoops: CrashLoop[];
  imagePullFailures: ImagePullFailure[];
  heartbeat: {
    namespace: string;
    cronJob: string;
    intervalSeconds: number;
    gap: { from: string; to: string };
  };
  probeBurst: {
    namespace: string;
    deployment: string;
    pods: string[];
    from: string;
    to: string;
    docs: number;
  };
  nodeIncidents: { node: string; reason: string; at: string }[];
  schedulingFailures: { namespace: string; deployment: string; pods: string[]; from: string; to: string };
  resyncNoops: number;
  docs: number;
  byReason: Record<string, number>;
}

export interface ScenarioContext {
  rng: Random;
  clock: ClusterClock;
  start: number;
  end: number;
  manifest: Manifest;
  /** A new event series; `resyncs` makes eventrouter re-emit it unchanged on every informer resync. */
  series(init: SeriesInit, resyncs?: boolean): EventSeries;
}

export interface Scenario {
  /** Emit every document whose activity starts in [from, to). Documents may land slightly after `to`. */
  emit(from: number, to: number, out: Emission[]): void;
}

const iso = (ms: number) => new Date(ms).toISOString();

function podRef(ns: string, pod: string, rng: Random, container?: string): ObjectRef {
  const ref: ObjectRef = {
    kind: 'Pod',
    namespace: ns,
    name: pod,
    uid: rng.uuid(),
    apiVersion: 'v1',
    resourceVersion: String(rng.int(40_000_000, 47_000_000)),
  };
  if (container) ref.fieldPath = `spec.containers{${container}}`;
  return ref;
}

function objRef(kind: string, ns: string, name: string, apiVersion: string, rng: Random): ObjectRef {
  return {
    kind,
    namespace: ns,
    name,
    uid: rng.uuid(),
    apiVersion,
    resourceVersion: String(rng.int(40_000_000, 47_000_000)),
  };
}

function nodeRef(node: string): ObjectRef {
  // Cluster-scoped: no namespace; Kubernetes uses the node name as the uid in node events.
  return { kind: 'Node', name: node, uid: node, apiVersion: 'v1' };
}

/** Pod start-up events as kubelet and the scheduler report them. */
function podStartup(
  ctx: ScenarioContext,
  d: Deployment,
  pod: string,
  at: number,
  out: Emission[],
  image = d.image,
) {
  const { rng } = ctx;
  const node = rng.pick(NODES);
  const ref = podRef(d.namespace, pod, rng);
  const cref = { ...ref, fieldPath: `spec.containers{${d.container}}` };
  let t = at;
  const normal = (init: Omit<SeriesInit, 'type'>) => ctx.series({ ...init, type: 'Normal' });
  out.push(
    normal({
      involvedObject: ref,
      reason: 'Scheduled',
      message: `Successfully assigned ${d.namespace}/${pod} to ${node}`,
      component: 'default-scheduler',
    }).occur(t),
  );
  t += rng.int(300, 1500);
  out.push(
    normal({
      involvedObject: cref,
      reason: 'Pulling',
      message: `Pulling image "${image}"`,
      component: 'kubelet',
      host: node,
    }).occur(t),
  );
  const pullMs = rng.int(400, 9000);
  t += pullMs;
  out.push(
    normal({
      involvedObject: cref,
      reason: 'Pulled',
      message: `Successfully pulled image "${image}" in ${(pullMs / 1000).toFixed(3)}s (${(pullMs / 1000 + 0.2).toFixed(3)}s including waiting)`,
      component: 'kubelet',
      host: node,
    }).occur(t),
  );
  t += rng.int(100, 600);
  out.push(
    normal({
      involvedObject: cref,
      reason: 'Created',
      message: `Created container ${d.container}`,
      component: 'kubelet',
      host: node,
    }).occur(t),
  );
  t += rng.int(100, 900);
  out.push(
    normal({
      involvedObject: cref,
      reason: 'Started',
      message: `Started container ${d.container}`,
      component: 'kubelet',
      host: node,
    }).occur(t),
  );
  return { node, ref, cref, at: t };
}

/** Routine rolling updates: the bulk of a real cluster's events, all Normal. */
export function podChurn(ctx: ScenarioContext, rolloutsPerHour: number): Scenario {
  const { rng } = ctx;
  const pods = new Map<Deployment, { hash: string; pods: string[] }>();
  for (const d of DEPLOYMENTS) {
    const hash = replicaSetHash(rng);
    pods.set(d, { hash, pods: Array.from({ length: d.replicas }, () => podName(d.name, hash, rng)) });
  }
  let next = ctx.start + rng.exp((60 * MIN) / rolloutsPerHour);
  return {
    emit(from, to, out) {
      while (next < to) {
        const at = next;
        next += rng.exp((60 * MIN) / rolloutsPerHour);
        if (at < from) continue;
        const d = rng.pick(DEPLOYMENTS);
        const old = pods.get(d)!;
        const hash = replicaSetHash(rng);
        const depRef = objRef('Deployment', d.namespace, d.name, 'apps/v1', rng);
        const rsRef = objRef('ReplicaSet', d.namespace, `${d.name}-${hash}`, 'apps/v1', rng);
        const normal = (init: Omit<SeriesInit, 'type'>) => ctx.series({ ...init, type: 'Normal' });
        out.push(
          normal({
            involvedObject: depRef,
            reason: 'ScalingReplicaSet',
            message: `Scaled up replica set ${d.name}-${hash} to ${d.replicas}`,
            component: 'deployment-controller',
          }).occur(at),
        );
        const fresh: string[] = [];
        let t = at + rng.int(50, 400);
        for (let i = 0; i < d.replicas; i++) {
          const pod = podName(d.name, hash, rng);
          fresh.push(pod);
          out.push(
            normal({
              involvedObject: rsRef,
              reason: 'SuccessfulCreate',
              message: `Created pod: ${pod}`,
              component: 'replicaset-controller',
            }).occur(t),
          );
          const started = podStartup(ctx, d, pod, t + rng.int(20, 300), out);
          const victim = old.pods[i];
          if (victim) {
            const vref = podRef(d.namespace, victim, rng, d.container);
            out.push(
              normal({
                involvedObject: vref,
                reason: 'Killing',
                message: `Stopping container ${d.container}`,
                component: 'kubelet',
                host: rng.pick(NODES),
              }).occur(started.at + rng.int(2000, 15000)),
            );
          }
          t = started.at + rng.int(1000, 8000);
        }
        out.push(
          normal({
            involvedObject: depRef,
            reason: 'ScalingReplicaSet',
            message: `Scaled down replica set ${d.name}-${old.hash} to 0 from ${d.replicas}`,
            component: 'deployment-controller',
          }).occur(t + rng.int(500, 3000)),
        );
        pods.set(d, { hash, pods: fresh });
      }
    },
  };
}

const BACKOFF_STEPS_S = [10, 20, 40, 80, 160, 300];

/** Pods whose container keeps exiting: restarts with growing back-off and a BackOff event that keeps counting up. */
export function crashLoops(ctx: ScenarioContext, count: number): Scenario {
  const { rng, start, end } = ctx;
  const span = end - start;
  const candidates = DEPLOYMENTS.filter((d) => d.namespace !== 'kube-system');
  const loops = Array.from({ length: count }, (_, i) => {
    const d = candidates[(i * 5 + rng.int(0, 3)) % candidates.length]!;
    const pod = podName(d.name, replicaSetHash(rng), rng);
    const from = start + Math.floor(span * (0.05 + 0.6 * rng.next()));
    const to = Math.min(
      end - MIN,
      from + rng.int(Math.min(40, span / MIN / 4), Math.min(180, span / MIN / 2)) * MIN,
    );
    const node = rng.pick(NODES);
    const ref = podRef(d.namespace, pod, rng, d.container);
    const info: CrashLoop = {
      namespace: d.namespace,
      deployment: d.name,
      pod,
      container: d.container,
      from: iso(from),
      to: iso(to),
      backOffDocs: 0,
    };
    ctx.manifest.crashLoops.push(info);
    const s = (reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal') =>
      ctx.series({ involvedObject: ref, reason, message, type, component: 'kubelet', host: node }, true);
    return {
      info,
      from,
      to,
      next: from,
      restarts: 0,
      pulled: s('Pulled', `Container image "${d.image}" already present on machine`),
      created: s('Created', `Created container ${d.container}`),
      started: s('Started', `Started container ${d.container}`),
      backoff: s(
        'BackOff',
        `Back-off restarting failed container ${d.container} in pod ${pod}_${d.namespace}(${ref.uid})`,
        'Warning',
      ),
    };
  });
  return {
    emit(_from, to, out) {
      for (const l of loops) {
        while (l.next < to && l.next < l.to) {
          // a restart: the container comes up, crashes a few seconds later, kubelet backs off
          let t = l.next;
          out.push(l.pulled.occur(t));
          out.push(l.created.occur((t += rng.int(100, 500))));
          out.push(l.started.occur((t += rng.int(100, 800))));
          const wait = BACKOFF_STEPS_S[Math.min(l.restarts, BACKOFF_STEPS_S.length - 1)]! * 1000;
          let b = t + rng.int(2000, 20000);
          const until = b + wait;
          while (b < until && b < l.to) {
            out.push(l.backoff.occur(b));
            l.info.backOffDocs++;
            b += rng.int(10_000, 30_000);
          }
          l.restarts++;
          l.next = until + rng.int(500, 2000);
        }
      }
    },
  };
}

/** Rollouts with a tag that does not exist: ErrImagePull / ImagePullBackOff until someone fixes the tag. */
export function imagePullFailures(ctx: ScenarioContext, count: number): Scenario {
  const { rng, start, end } = ctx;
  const span = end - start;
  const items = Array.from({ length: count }, (_, i) => {
    const d = DEPLOYMENTS[(i * 3 + 1) % DEPLOYMENTS.length]!;
    const image = d.image.replace(
      /:[^:]+$/,
      `:${rng.pick(['v2.0.0-broken', 'latestt', '1.16.0', 'sha-0f3c9e1'])}`,
    );
    const pod = podName(d.name, replicaSetHash(rng), rng);
    const from = start + Math.floor(span * (0.1 + 0.7 * rng.next()));
    const to = Math.min(end - MIN, from + rng.int(20, 90) * MIN);
    ctx.manifest.imagePullFailures.push({
      namespace: d.namespace,
      deployment: d.name,
      pod,
      image,
      from: iso(from),
      to: iso(to),
    });
    const node = rng.pick(NODES);
    const ref = podRef(d.namespace, pod, rng, d.container);
    const s = (reason: string, message: string, type: 'Normal' | 'Warning') =>
      ctx.series({ involvedObject: ref, reason, message, type, component: 'kubelet', host: node }, true);
    return {
      from,
      to,
      next: from,
      step: 0,
      pulling: s('Pulling', `Pulling image "${image}"`, 'Normal'),
      failed: s(
        'Failed',
        `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`,
        'Warning',
      ),
      errPull: s('Failed', 'Error: ErrImagePull', 'Warning'),
      backoff: s('BackOff', `Back-off pulling image "${image}"`, 'Normal'),
      errBackoff: s('Failed', 'Error: ImagePullBackOff', 'Warning'),
    };
  });
  return {
    emit(_from, to, out) {
      for (const it of items) {
        while (it.next < to && it.next < it.to) {
          let t = it.next;
          out.push(it.pulling.occur(t));
          out.push(it.failed.occur((t += rng.int(300, 2500))));
          out.push(it.errPull.occur((t += rng.int(5, 50))));
          out.push(it.backoff.occur((t += rng.int(500, 2000))));
          out.push(it.errBackoff.occur((t += rng.int(5, 50))));
          it.next = t + Math.min(300, 10 * 2 ** it.step++) * 1000;
        }
      }
    },
  };
}

/** A CronJob that runs every minute, then stops for a while (the flatline case). */
export function cronHeartbeat(ctx: ScenarioContext, gapMinutes: number): Scenario {
  const { rng, start, end } = ctx;
  const ns = 'batch';
  const name = 'heartbeat';
  const interval = MIN;
  const gapFrom = start + Math.floor(((end - start) * 0.55) / MIN) * MIN;
  const gapTo = gapFrom + gapMinutes * MIN;
  ctx.manifest.heartbeat = {
    namespace: ns,
    cronJob: name,
    intervalSeconds: interval / 1000,
    gap: { from: iso(gapFrom), to: iso(gapTo) },
  };
  const cronRef = objRef('CronJob', ns, name, 'batch/v1', rng);
  const d: Deployment = {
    namespace: ns,
    name,
    container: 'heartbeat',
    image: 'registry.example.com/ops/heartbeat:1.2',
    replicas: 1,
  };
  let next = Math.ceil(start / MIN) * MIN;
  return {
    emit(_from, to, out) {
      for (; next < to; next += interval) {
        if (next >= gapFrom && next < gapTo) continue;
        const t = next;
        const jobName = `${name}-${Math.floor(t / MIN)}`;
        const jobRef = objRef('Job', ns, jobName, 'batch/v1', rng);
        const pod = `${jobName}-${rng.chars('bcdfghjklmnpqrstvwxz2456789', 5)}`;
        const normal = (ref: ObjectRef, reason: string, message: string, component: string) =>
          ctx.series({ involvedObject: ref, reason, message, type: 'Normal', component });
        out.push(
          normal(cronRef, 'SuccessfulCreate', `Created job ${jobName}`, 'cronjob-controller').occur(
            t + rng.int(5, 200),
          ),
        );
        out.push(
          normal(jobRef, 'SuccessfulCreate', `Created pod: ${pod}`, 'job-controller').occur(
            t + rng.int(250, 600),
          ),
        );
        const s = podStartup(ctx, d, pod, t + rng.int(700, 1200), [], d.image);
        out.push(
          normal(jobRef, 'Completed', 'Job completed', 'job-controller').occur(s.at + rng.int(2000, 5000)),
        );
        out.push(
          normal(
            cronRef,
            'SawCompletedJob',
            `Saw completed job: ${jobName}, status: Complete`,
            'cronjob-controller',
          ).occur(s.at + rng.int(6000, 9000)),
        );
      }
    },
  };
}

/** Readiness probes failing across one namespace at once, over a quiet baseline of probe failures elsewhere. */
export function probeFailures(ctx: ScenarioContext, burstMinutes: number): Scenario {
  const { rng, start, end } = ctx;
  const d = DEPLOYMENTS.find((x) => x.namespace === 'payments' && x.name === 'gateway')!;
  const hash = replicaSetHash(rng);
  const pods = Array.from({ length: d.replicas }, () => podName(d.name, hash, rng));
  const burstFrom = start + Math.floor(((end - start) * 0.7) / MIN) * MIN;
  const burstTo = burstFrom + burstMinutes * MIN;
  const info = {
    namespace: d.namespace,
    deployment: d.name,
    pods,
    from: iso(burstFrom),
    to: iso(burstTo),
    docs: 0,
  };
  ctx.manifest.probeBurst = info;
  const burst = pods.map((pod, i) => {
    const node = NODES[i % NODES.length]!;
    const ip = `10.244.${i + 3}.${rng.int(2, 250)}`;
    return {
      next: burstFrom + rng.int(0, 10_000),
      series: ctx.series(
        {
          involvedObject: podRef(d.namespace, pod, rng, d.container),
          reason: 'Unhealthy',
          message: `Readiness probe failed: Get "http://${ip}:8080/healthz": dial tcp ${ip}:8080: connect: connection refused`,
          type: 'Warning',
          component: 'kubelet',
          host: node,
        },
        true,
      ),
    };
  });
  // Baseline: occasional probe failures anywhere (including payments), about one every six minutes.
  let nextBaseline = start + rng.exp(6 * MIN);
  const baselineMessages = [
    () => `Liveness probe failed: HTTP probe failed with statuscode: 500`,
    (ip: string) =>
      `Readiness probe failed: Get "http://${ip}:8080/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    () => `Readiness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n`,
    () =>
      `Liveness probe errored: rpc error: code = NotFound desc = failed to exec in container: container is in CONTAINER_EXITED state`,
  ];
  return {
    emit(_from, to, out) {
      while (nextBaseline < to) {
        const dep = rng.pick(DEPLOYMENTS);
        const pod = podName(dep.name, replicaSetHash(rng), rng);
        const ip = `10.244.${rng.int(1, 9)}.${rng.int(2, 250)}`;
        out.push(
          ctx
            .series({
              involvedObject: podRef(dep.namespace, pod, rng, dep.container),
              reason: 'Unhealthy',
              message: rng.pick(baselineMessages)(ip),
              type: 'Warning',
              component: 'kubelet',
              host: rng.pick(NODES),
            })
            .occur(nextBaseline),
        );
        nextBaseline += rng.exp(6 * MIN);
      }
      for (const b of burst) {
        while (b.next < to && b.next < burstTo) {
          out.push(b.series.occur(b.next));
          info.docs++;
          b.next += rng.int(7_000, 13_000);
        }
      }
    },
  };
}

/** Node trouble: events on cluster-scoped objects, which carry no namespace. */
export function nodeIncidents(ctx: ScenarioContext): Scenario {
  const { rng, start, end } = ctx;
  const span = end - start;
  type Planned = {
    at: number;
    node: string;
    reason: string;
    message: string;
    type: 'Normal' | 'Warning';
    component: string;
    host?: string;
  };
  const plan: Planned[] = [];
  const add = (p: Planned) => {
    plan.push(p);
    ctx.manifest.nodeIncidents.push({ node: p.node, reason: p.reason, at: iso(p.at) });
  };
  const t1 = start + Math.floor(span * 0.3);
  add({
    at: t1,
    node: 'node-4',
    reason: 'NodeNotReady',
    message: 'Node node-4 status is now: NodeNotReady',
    type: 'Normal',
    component: 'node-controller',
  });
  add({
    at: t1 + 3 * MIN,
    node: 'node-4',
    reason: 'Rebooted',
    message: `Node node-4 has been rebooted, boot id: ${rng.uuid()}`,
    type: 'Warning',
    component: 'kubelet',
    host: 'node-4',
  });
  add({
    at: t1 + 3 * MIN + 4000,
    node: 'node-4',
    reason: 'Starting',
    message: 'Starting kubelet.',
    type: 'Normal',
    component: 'kubelet',
    host: 'node-4',
  });
  add({
    at: t1 + 4 * MIN,
    node: 'node-4',
    reason: 'NodeReady',
    message: 'Node node-4 status is now: NodeReady',
    type: 'Normal',
    component: 'kubelet',
    host: 'node-4',
  });
  const t2 = start + Math.floor(span * 0.45);
  add({
    at: t2,
    node: 'node-2',
    reason: 'EvictionThresholdMet',
    message: 'Attempting to reclaim ephemeral-storage',
    type: 'Warning',
    component: 'kubelet',
    host: 'node-2',
  });
  add({
    at: t2 + 5000,
    node: 'node-2',
    reason: 'NodeHasDiskPressure',
    message: 'Node node-2 status is now: NodeHasDiskPressure',
    type: 'Normal',
    component: 'kubelet',
    host: 'node-2',
  });
  add({
    at: t2 + 2 * MIN,
    node: 'node-2',
    reason: 'FreeDiskSpaceFailed',
    message:
      'Failed to garbage collect required amount of images. Attempted to free 4294967296 bytes, but only found 0 bytes eligible to free.',
    type: 'Warning',
    component: 'kubelet',
    host: 'node-2',
  });
  add({
    at: t2 + 20 * MIN,
    node: 'node-2',
    reason: 'NodeHasNoDiskPressure',
    message: 'Node node-2 status is now: NodeHasNoDiskPressure',
    type: 'Normal',
    component: 'kubelet',
    host: 'node-2',
  });
  const t3 = start + Math.floor(span * 0.8);
  add({
    at: t3,
    node: 'node-5',
    reason: 'SystemOOM',
    message: 'System OOM encountered, victim process: java, pid: 28372',
    type: 'Warning',
    component: 'kubelet',
    host: 'node-5',
  });
  plan.sort((a, b) => a.at - b.at);
  let i = 0;
  return {
    emit(_from, to, out) {
      for (; i < plan.length && plan[i]!.at < to; i++) {
        const p = plan[i]!;
        const init: SeriesInit = {
          involvedObject: nodeRef(p.node),
          reason: p.reason,
          message: p.message,
          type: p.type,
          component: p.component,
          namespace: 'default',
        };
        if (p.host) init.host = p.host;
        out.push(ctx.series(init, true).occur(p.at));
      }
    },
  };
}

/** A scale-up that does not fit: FailedScheduling keeps counting up until capacity appears. */
export function schedulingFailures(ctx: ScenarioContext, replicas: number): Scenario {
  const { rng, start, end } = ctx;
  const d = DEPLOYMENTS.find((x) => x.namespace === 'search' && x.name === 'indexer')!;
  const hash = replicaSetHash(rng);
  const pods = Array.from({ length: replicas }, () => podName(d.name, hash, rng));
  const from = start + Math.floor((end - start) * 0.4);
  const to = Math.min(end - MIN, from + 50 * MIN);
  ctx.manifest.schedulingFailures = {
    namespace: d.namespace,
    deployment: d.name,
    pods,
    from: iso(from),
    to: iso(to),
  };
  const msg = `0/${NODES.length} nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/${NODES.length} nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.`;
  const state = pods.map((pod) => {
    const ref = podRef(d.namespace, pod, rng);
    return {
      pod,
      next: from + rng.int(0, 20_000),
      failed: ctx.series(
        {
          involvedObject: ref,
          reason: 'FailedScheduling',
          message: msg,
          type: 'Warning',
          component: 'default-scheduler',
        },
        true,
      ),
      noScaleUp: ctx.series(
        {
          involvedObject: ref,
          reason: 'NotTriggerScaleUp',
          message: "pod didn't trigger scale-up: 2 max node group size reached",
          type: 'Normal',
          component: 'cluster-autoscaler',
        },
        true,
      ),
    };
  });
  let done = false;
  return {
    emit(_from, until, out) {
      for (const s of state) {
        while (s.next < until && s.next < to) {
          out.push(s.failed.occur(s.next));
          if (rng.chance(0.3)) out.push(s.noScaleUp.occur(s.next + rng.int(1000, 10_000)));
          s.next += rng.int(60_000, 5 * MIN);
        }
      }
      if (!done && to < until) {
        done = true;
        // capacity arrives: the pods finally get scheduled
        for (const s of state) podStartup(ctx, d, s.pod, to + rng.int(0, 60_000), out);
      }
    },
  };
}

/** Registry of series that eventrouter would re-emit unchanged at every informer resync (Heptio builds do). */
export class ResyncRegistry {
  private live: EventSeries[] = [];
  private nextResync: number;
  private readonly periodMs: number;
  private readonly ttlMs: number;
  private readonly manifest: Manifest;

  constructor(start: number, periodMs: number, ttlMs: number, manifest: Manifest) {
    this.nextResync = start + periodMs;
    this.periodMs = periodMs;
    this.ttlMs = ttlMs;
    this.manifest = manifest;
  }

  add(s: EventSeries) {
    this.live.push(s);
  }

  /** Emits the no-op UPDATEs for resyncs in [.., to). Called after all scenarios emitted up to `to`. */
  emit(to: number, out: Emission[]) {
    while (this.nextResync < to) {
      const at = this.nextResync;
      this.live = this.live.filter((s) => !s.started || at - s.lastAt < this.ttlMs);
      for (const s of this.live) {
        if (!s.started || s.lastAt > at) continue;
        const e = s.resync(at);
        if (e) {
          out.push(e);
          this.manifest.resyncNoops++;
        }
      }
      this.nextResync += this.periodMs;
    }
  }
}
