/**
 * deploy/kubernetes without a cluster: every manifest against Kubernetes' strict JSON schemas (the
 * oldest and newest release supported), the kustomization's references, the wiring between the
 * objects (names, labels, ports, probes, mounts), and agreement with the image (Dockerfile).
 * configmap-rules.yaml is generated from rules/*.yaml here: `-u` rewrites it after a rule changes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { beforeAll, describe, expect, it } from 'vitest';
import { Document, parse } from 'yaml';
import { loadGlobalConfig } from '../../../src/config/global-config.ts';
import { readImageModel, REPO } from './dockerfile-model.ts';
import { KUBERNETES_VERSIONS, kubernetesValidator, type ManifestProblem } from './kubernetes-schemas.ts';
import {
  containerOf,
  expectConfigMounts,
  expectHardenedPod,
  expectWiring,
  getManifest,
  type Manifest,
  manifestProblems,
  type Obj,
  parseManifests,
} from './manifests.ts';

const DIR = join(REPO, 'deploy/kubernetes');

function readManifests(): Manifest[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()
    .flatMap((file) => parseManifests(readFileSync(join(DIR, file), 'utf8'), file));
}

/** The rules ConfigMap as it must read: rules/*.yaml, verbatim. */
async function renderRulesConfigMap(): Promise<string> {
  const rulesDir = join(REPO, 'rules');
  const files = readdirSync(rulesDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const doc = new Document({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'esalert-rules', labels: { 'app.kubernetes.io/name': 'esalert' } },
    data: Object.fromEntries(files.map((f) => [f, readFileSync(join(rulesDir, f), 'utf8')])),
  });
  doc.commentBefore =
    ' The example rules (rules/*.yaml), mounted at /etc/esalert/rules. Generated from rules/ by\n' +
    ' test/unit/deploy/kubernetes.test.ts (run it with -u after changing a rule). Replace it with\n' +
    ' your own rules: see kustomization.yaml.';
  const text = doc.toString({ blockQuote: 'literal', lineWidth: 0 });
  const target = join(DIR, 'configmap-rules.yaml');
  return format(text, { ...(await resolveConfig(target)), parser: 'yaml' });
}

describe('deploy/kubernetes', () => {
  const manifests = readManifests();
  const image = readImageModel();
  const find = (kind: string, name?: string) => getManifest(manifests, kind, name);
  const deployment = find('Deployment', 'esalert');
  const container = containerOf(deployment);
  const validators = new Map<string, (m: Obj) => ManifestProblem[]>();

  beforeAll(async () => {
    for (const v of KUBERNETES_VERSIONS) validators.set(v, await kubernetesValidator(v));
  }, 300_000);

  it.each(KUBERNETES_VERSIONS)(
    'every manifest is valid for Kubernetes %s (unknown fields included)',
    (version) => {
      expect(manifestProblems(validators.get(version)!, manifests)).toEqual([]);
    },
  );

  it('a misspelt field, a wrong type or an unknown kind is reported where it is', () => {
    const check = validators.get(KUBERNETES_VERSIONS[0])!;
    const broken = structuredClone(deployment);
    (broken.spec as Obj).replicas = 'one';
    const probe = ((broken.spec as Obj).template as Obj).spec as Obj;
    const c = (probe.containers as Obj[])[0]!;
    (c.livenessProbe as Obj).httpGet = { paht: '/healthz', port: 'http' };
    expect(check(broken)).toEqual(
      expect.arrayContaining([
        { path: '/spec/replicas', message: 'must be integer,null' },
        { path: '/spec/template/spec/containers/0/livenessProbe/httpGet', message: 'unknown field "paht"' },
      ]),
    );
    const service = structuredClone(find('Service'));
    (service.spec as Obj).selectors = (service.spec as Obj).selector;
    expect(check(service)).toEqual([{ path: '/spec', message: 'unknown field "selectors"' }]);
    expect(check({ apiVersion: 'apps/v1', kind: 'Deploymnet' })).toEqual([
      { path: '', message: `Kubernetes ${KUBERNETES_VERSIONS[0]} has no Deploymnet in apps/v1` },
    ]);
  });

  it('kustomization.yaml lists every manifest but the example Secret, and each exists', () => {
    const k = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as Obj;
    expect(k).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' });
    const files = [...new Set(manifests.map((m) => m.source))].filter((f) => f !== 'secret.example.yaml');
    expect([...(k.resources as string[])].sort()).toEqual(files);
  });

  it('the Deployment names only objects that are here, and the Service reaches its pods', () => {
    expectWiring(manifests);
  });

  it('runs two esalerts that share the rules, non-root on a read-only root file system, probed on the image port', () => {
    expect((deployment.spec as Obj).replicas).toBe(2);
    expect((deployment.spec as Obj).strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    const selector = (deployment.spec as Obj).selector as Obj;
    const pod = ((deployment.spec as Obj).template as Obj).spec as Obj;
    const term = (
      ((pod.affinity as Obj).podAntiAffinity as Obj).preferredDuringSchedulingIgnoredDuringExecution as Obj[]
    )[0]!;
    expect((term.podAffinityTerm as Obj).labelSelector).toEqual(selector);
    const pdb = find('PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector });
    expectHardenedPod(deployment, image);
    expect(container.args).toEqual(image.cmd);
    const annotations = (find('Service').metadata as Obj).annotations;
    expect(annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(image.expose[0]),
      'prometheus.io/path': '/metrics',
    });
  });

  it('mounts config.yaml and the rules where the image expects them', () => {
    expectConfigMounts(deployment, image, { config: 'esalert-config', rules: 'esalert-rules' });
  });

  it('the secret carries the Elasticsearch and robot credentials the configuration and rules name', () => {
    const secret = find('Secret', 'esalert-secrets');
    expect(Object.keys(secret.stringData as Obj)).toEqual(
      expect.arrayContaining([
        'ES_USERNAME',
        'ES_PASSWORD',
        'DINGTALK_TOKEN',
        'DINGTALK_SIGN',
        'WECOM_BOT_KEY',
      ]),
    );
  });

  it("the ConfigMap's config.yaml loads, reading Elasticsearch from the environment", () => {
    const text = (find('ConfigMap', 'esalert-config').data as Obj)['config.yaml'] as string;
    const dir = mkdtempSync(join(tmpdir(), 'esalert-deploy-config-'));
    try {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, text);
      const env: Record<string, string> = { ES_HOST: 'es.logging.svc', ES_PASSWORD: 'pw' };
      const config = loadGlobalConfig(file, { env: (n) => env[n] });
      expect(config.raw).toMatchObject({
        es_host: 'es.logging.svc',
        es_password: 'pw',
        rules_folder: 'rules',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('configmap-rules.yaml holds rules/*.yaml as they are', async () => {
    await expect(await renderRulesConfigMap()).toMatchFileSnapshot(join(DIR, 'configmap-rules.yaml'));
    const data = find('ConfigMap', 'esalert-rules').data as Record<string, string>;
    expect(data['pod-crashloop.yaml']).toBe(readFileSync(join(REPO, 'rules/pod-crashloop.yaml'), 'utf8'));
  });
});
