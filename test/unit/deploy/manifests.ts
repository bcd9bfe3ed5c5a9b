/**
 * Checks shared by deploy/kubernetes (kubernetes.test.ts) and the Helm chart's rendered manifests
 * (helm.test.ts): parsing, validity for each Kubernetes release, the wiring between the objects,
 * and the pod's promises (the image's command and port, probes, non-root on a read-only root file
 * system, config.yaml and the rules where the image expects them).
 */
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ImageModel } from './dockerfile-model.ts';
import type { ManifestProblem } from './kubernetes-schemas.ts';

export type Obj = Record<string, unknown>;

export interface Manifest {
  /** Where it came from: a file, or the template Helm names in its `# Source:` line. */
  source: string;
  doc: Obj;
}

/** Every document of a YAML stream; empty ones (a template that rendered nothing) are left out. */
export function parseManifests(text: string, source: string): Manifest[] {
  return parseAllDocuments(text).flatMap((d) => {
    if (d.errors.length) throw new Error(`${source}: ${d.errors[0]!.message}`);
    const doc = d.toJS() as Obj | null;
    if (doc === null) return [];
    const from = /^ Source: (.+)$/m.exec(d.commentBefore ?? '')?.[1] ?? source;
    return [{ source: from, doc }];
  });
}

const nameOf = (m: Manifest) => (m.doc.metadata as Obj | undefined)?.name as string | undefined;

export function findManifest(manifests: Manifest[], kind: string, name?: string): Obj | undefined {
  return manifests.find((m) => m.doc.kind === kind && (name === undefined || nameOf(m) === name))?.doc;
}

export function getManifest(manifests: Manifest[], kind: string, name?: string): Obj {
  const doc = findManifest(manifests, kind, name);
  if (!doc) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${manifests.length} manifests`);
  return doc;
}

export const podOf = (deployment: Obj) => ((deployment.spec as Obj).template as Obj).spec as Obj;
export const containerOf = (deployment: Obj) => (podOf(deployment).containers as Obj[])[0]!;

/** What a validator (kubernetesValidator) finds wrong, one line per problem, naming the source. */
export function manifestProblems(check: (m: Obj) => ManifestProblem[], manifests: Manifest[]): string[] {
  return manifests.flatMap((m) =>
    check(m.doc).map((p) => `${m.source}: ${String(m.doc.kind)} ${p.path}: ${p.message}`),
  );
}

/**
 * The Deployment names only objects that are among the manifests (or that the user provides:
 * `external`), and the Service reaches its pods on a port the container has.
 */
export function expectWiring(
  manifests: Manifest[],
  external: { configMaps?: string[]; secrets?: string[] } = {},
): void {
  const deployment = getManifest(manifests, 'Deployment');
  const pod = podOf(deployment);
  const container = containerOf(deployment);
  const exists = (kind: string, name: string, given: string[] = []) =>
    given.includes(name) || findManifest(manifests, kind, name) !== undefined;
  expect(exists('ServiceAccount', pod.serviceAccountName as string), 'serviceAccountName').toBe(true);
  for (const v of pod.volumes as Obj[]) {
    const cm = v.configMap as Obj | undefined;
    if (cm)
      expect(
        exists('ConfigMap', cm.name as string, external.configMaps),
        `ConfigMap ${String(cm.name)}`,
      ).toBe(true);
  }
  for (const e of (container.envFrom as Obj[] | undefined) ?? []) {
    const name = (e.secretRef as Obj).name as string;
    expect(exists('Secret', name, external.secrets), `Secret ${name}`).toBe(true);
  }
  const template = (deployment.spec as Obj).template as Obj;
  const service = getManifest(manifests, 'Service');
  const selector = (service.spec as Obj).selector as Obj;
  expect((template.metadata as Obj).labels).toMatchObject(selector);
  expect((deployment.spec as Obj).selector).toEqual({ matchLabels: selector });
  const portNames = (container.ports as Obj[]).map((p) => p.name);
  for (const p of (service.spec as Obj).ports as Obj[]) expect(portNames).toContain(p.targetPort);
}

/**
 * The pod runs the image's command on the image's port, probed there, non-root on a read-only root
 * file system, with resource requests.
 */
export function expectHardenedPod(deployment: Obj, image: ImageModel): void {
  const pod = podOf(deployment);
  const container = containerOf(deployment);
  const port = image.expose[0]!;
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: Number(image.user?.split(':')[0]),
  });
  expect(pod.automountServiceAccountToken).toBe(false);
  expect(container.securityContext).toMatchObject({
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  });
  expect((container.args as string[]).slice(0, image.cmd.length)).toEqual(image.cmd);
  expect(container.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
  expect((container.livenessProbe as Obj).httpGet).toEqual({ path: '/healthz', port: 'http' });
  expect((container.readinessProbe as Obj).httpGet).toEqual({ path: '/readyz', port: 'http' });
  expect(container.resources).toMatchObject({
    requests: { cpu: expect.any(String), memory: expect.any(String) },
  });
  // esalert writes only below /tmp
  expect((container.volumeMounts as Obj[]).find((m) => m.mountPath === '/tmp')).toBeDefined();
}

/**
 * config.yaml (a single file) and the rules (a directory, so that changed rules reach the running
 * pod) come from these ConfigMaps, at the paths the image reads; undefined: the image's own files.
 */
export function expectConfigMounts(
  deployment: Obj,
  image: ImageModel,
  configMaps: { config: string | undefined; rules: string | undefined },
): void {
  const pod = podOf(deployment);
  const mounts = containerOf(deployment).volumeMounts as Obj[];
  const volume = (name: unknown) => (pod.volumes as Obj[]).find((v) => v.name === name)!;
  const configPath = image.cmd[image.cmd.indexOf('--config') + 1];
  const config = mounts.find((m) => m.mountPath === configPath);
  const rules = mounts.find((m) => m.mountPath === '/etc/esalert/rules');
  if (configMaps.config === undefined) expect(config).toBeUndefined();
  else {
    expect(config).toMatchObject({ subPath: 'config.yaml', readOnly: true });
    expect((volume(config!.name).configMap as Obj).name).toBe(configMaps.config);
  }
  if (configMaps.rules === undefined) expect(rules).toBeUndefined();
  else {
    expect(rules).toMatchObject({ readOnly: true });
    expect(rules!.subPath).toBeUndefined();
    expect((volume(rules!.name).configMap as Obj).name).toBe(configMaps.rules);
  }
}
