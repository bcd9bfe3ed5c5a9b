/** Owners of pods and other objects, told from names as Kubernetes controllers generate them. */
import { describe, expect, it } from 'vitest';
import { objectOwner, podOwner } from '../../../src/k8s/pod-owner.ts';
import { ownerOf } from '../../../modules/owner_workload.ts';

const PODS: [pod: string, kind: string, owner: string][] = [
  ['api-7c9f8d6b5-x2k4p', 'Deployment', 'api'],
  ['coredns-5d78c9869d-8fhx2', 'Deployment', 'coredns'],
  ['ingress-nginx-controller-6b4f6c8d9f-zq7lm', 'Deployment', 'ingress-nginx-controller'],
  ['api-v2-859d7b6c4f-hq2wn', 'Deployment', 'api-v2'],
  ['web-btwdpqwsqq-7gthk', 'Deployment', 'web'],
  ['es-data-2', 'StatefulSet', 'es-data'],
  ['kafka-11', 'StatefulSet', 'kafka'],
  ['redis-node-0', 'StatefulSet', 'redis-node'],
  ['backup-28591230-kx4zp', 'CronJob', 'backup'],
  ['heartbeat-29123456-bcdfg', 'CronJob', 'heartbeat'],
  ['kube-proxy-6hz9d', 'DaemonSet or Job', 'kube-proxy'],
  ['fluent-bit-wq8lm', 'DaemonSet or Job', 'fluent-bit'],
  ['db-migrate-8q7rp', 'DaemonSet or Job', 'db-migrate'],
  ['standalone', 'Pod', 'standalone'],
  ['debug-shell', 'Pod', 'debug-shell'],
  // a word of the name is never taken for a generated suffix (vowels, 0, 1, 3 are not used)
  ['node-exporter', 'Pod', 'node-exporter'],
  ['cert-manager-webhook', 'Pod', 'cert-manager-webhook'],
];

describe('podOwner', () => {
  it.each(PODS)('%s belongs to %s %s', (pod, kind, name) => {
    expect(podOwner(pod)).toEqual({ kind, name });
  });
});

describe('objectOwner', () => {
  it.each([
    ['Pod', 'api-7c9f8d6b5-x2k4p', 'Deployment', 'api'],
    ['ReplicaSet', 'api-7c9f8d6b5', 'Deployment', 'api'],
    ['ReplicaSet', 'legacy', 'ReplicaSet', 'legacy'],
    ['Job', 'backup-28591230', 'CronJob', 'backup'],
    ['Job', 'db-migrate', 'Job', 'db-migrate'],
    ['Deployment', 'api', 'Deployment', 'api'],
    ['Node', 'node-4', 'Node', 'node-4'],
  ])('%s %s belongs to %s %s', (kind, name, ownerKind, ownerName) => {
    expect(objectOwner(kind, name)).toEqual({ kind: ownerKind, name: ownerName });
  });
});

describe('modules/owner_workload.ts', () => {
  it.each(PODS)('keeps its copy of the patterns in step: %s', (pod, kind, name) => {
    expect(ownerOf(pod)).toEqual({ owner: name, kind: kind === 'DaemonSet or Job' ? 'Job' : kind });
  });
});
