/**
 * deploy/helm/esalert without a cluster: `helm lint --strict` and `helm template` with the pinned
 * Helm (test/harness/helm.ts builds it from the Go module proxy the first time), for several sets of
 * values, each rendered for the oldest and newest Kubernetes release supported. The rendered
 * manifests are checked as deploy/kubernetes is (manifests.ts): Kubernetes' strict schemas (and the
 * Prometheus Operator's CRD for the ServiceMonitor), the wiring between the objects, the pod's
 * promises; then what each set of values is for.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadGlobalConfig } from '../../../src/config/global-config.ts';
import { createHelm, type Helm, helmUnavailable } from '../../harness/helm.ts';
import { readImageModel, REPO } from './dockerfile-model.ts';
import { KUBERNETES_VERSIONS, kubernetesValidator, type ManifestProblem } from './kubernetes-schemas.ts';
import {
  containerOf,
  expectConfigMounts,
  expectHardenedPod,
  expectWiring,
  findManifest,
  getManifest,
  type Manifest,
  manifestProblems,
  type Obj,
  parseManifests,
  podOf,
} from './manifests.ts';

const CHART = join(REPO, 'deploy/helm/esalert');
const RELEASE = 'esalert';
const NEWEST = KUBERNETES_VERSIONS.at(-1)!;

const unavailable = helmUnavailable();
if (unavailable) process.stderr.write(`[helm] ${unavailable}: skipping the Helm chart tests\n`);

const exampleRules = Object.fromEntries(
  readdirSync(join(REPO, 'rules'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => [f, readFileSync(join(REPO, 'rules', f), 'utf8')]),
);
const configFile = readFileSync(join(REPO, 'deploy/docker/config.yaml'), 'utf8');

/** The sets of values rendered, and the objects each expects from the user rather than the chart. */
const CASES: Record<string, { values: Obj; external?: { configMaps?: string[]; secrets?: string[] } }> = {
  defaults: { values: {} },
  'existing ConfigMaps and Secrets': {
    values: {
      config: { existingConfigMap: 'esalert-config-prod' },
      rules: { existingConfigMap: 'team-rules' },
      modules: { existingConfigMap: 'team-modules' },
      secrets: { existingSecrets: ['es-credentials', 'robot-tokens'] },
    },
    external: {
      configMaps: ['esalert-config-prod', 'team-rules', 'team-modules'],
      secrets: ['es-credentials', 'robot-tokens'],
    },
  },
  'config, rules and secrets given as values': {
    values: {
      config: { file: configFile },
      rules: {
        files: { ...exampleRules, 'as-yaml.yaml': { name: 'as-yaml', type: 'any', alert: ['debug'] } },
      },
      secrets: {
        values: {
          ES_USERNAME: 'esalert',
          ES_PASSWORD: 'pw',
          DINGTALK_TOKEN: 't0k3n',
          DINGTALK_SIGN: 'SECs1gn',
          WECOM_BOT_KEY: '',
        },
      },
      elasticsearch: { host: 'elasticsearch-master.logging.svc', port: 9243, useSsl: true },
      extraArgs: ['--log-level', 'info'],
    },
  },
  'ServiceMonitor and NetworkPolicy': {
    values: {
      metrics: { scrapeAnnotations: false },
      serviceMonitor: { enabled: true, interval: '30s', labels: { release: 'kube-prometheus-stack' } },
      networkPolicy: {
        enabled: true,
        ingressFrom: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
        ],
        egress: [
          { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 9200, protocol: 'TCP' }] },
          { ports: [{ port: 443, protocol: 'TCP' }] },
        ],
      },
    },
  },
  'two replicas': {
    values: { replicaCount: 2, podDisruptionBudget: { enabled: true }, podAntiAffinity: 'soft' },
  },
};

describe.skipIf(unavailable !== undefined)('deploy/helm/esalert', () => {
  const image = readImageModel();
  const scratch = mkdtempSync(join(tmpdir(), 'esalert-helm-values-'));
  let helm: Helm | undefined;
  const validators = new Map<string, (m: Obj) => ManifestProblem[]>();

  beforeAll(async () => {
    helm = await createHelm((msg) => process.stderr.write(`[helm] ${msg}\n`));
    for (const v of KUBERNETES_VERSIONS)
      validators.set(v, await kubernetesValidator(v, { customResources: true }));
    // the first run builds Helm: minutes, more on a loaded machine
  }, 60 * 60_000);
  afterAll(() => {
    helm?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  let written = 0;
  const valuesFile = (values: Obj) => {
    const file = join(scratch, `values-${++written}.yaml`);
    writeFileSync(file, stringify(values));
    return file;
  };
  const run = (args: string[]) => helm!.run(args);
  const template = (values: Obj, kubeVersion: string = NEWEST) =>
    run([
      'template',
      RELEASE,
      CHART,
      '--namespace',
      'monitoring',
      '--kube-version',
      kubeVersion,
      '-f',
      valuesFile(values),
    ]);
  const render = async (values: Obj, kubeVersion: string = NEWEST): Promise<Manifest[]> => {
    const r = await template(values, kubeVersion);
    if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
    return parseManifests(r.stdout, 'helm template');
  };

  const cases = Object.entries(CASES);

  it.each(cases.map(([name]) => name))('helm lint --strict passes: %s', async (name) => {
    for (const kubeVersion of KUBERNETES_VERSIONS) {
      const r = await run([
        'lint',
        '--strict',
        CHART,
        '--kube-version',
        kubeVersion,
        '-f',
        valuesFile(CASES[name]!.values),
      ]);
      expect(r.stdout + r.stderr, kubeVersion).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(r.code).toBe(0);
    }
  });

  it.each(cases.flatMap(([name]) => KUBERNETES_VERSIONS.map((v) => [name, v] as const)))(
    '%s: manifests valid for Kubernetes %s, wired to each other, the pod as the image expects it',
    async (name, kubeVersion) => {
      const { values, external } = CASES[name]!;
      const manifests = await render(values, kubeVersion);
      expect(manifests.length).toBeGreaterThanOrEqual(3);
      expect(manifestProblems(validators.get(kubeVersion)!, manifests)).toEqual([]);
      expectWiring(manifests, external);
      const deployment = getManifest(manifests, 'Deployment');
      expectHardenedPod(deployment, image);
      for (const m of manifests)
        expect((m.doc.metadata as Obj).labels, m.source).toMatchObject({
          'app.kubernetes.io/instance': RELEASE,
        });
    },
  );

  it('the validators report broken manifests (so a clean result means something)', async () => {
    const manifests = await render(CASES['ServiceMonitor and NetworkPolicy']!.values);
    const check = validators.get(NEWEST)!;
    const monitor = structuredClone(getManifest(manifests, 'ServiceMonitor'));
    ((monitor.spec as Obj).endpoints as Obj[])[0]!.portt = 'http';
    expect(check(monitor)).toEqual([{ path: '/spec/endpoints/0', message: 'unknown field "portt"' }]);
    (monitor.metadata as Obj).lables = {};
    expect(check(monitor)).toContainEqual({ path: '/metadata', message: 'unknown field "lables"' });
    const deployment = structuredClone(getManifest(manifests, 'Deployment'));
    (containerOf(deployment).ports as Obj[])[0]!.containerPort = 'ninety';
    expect(check(deployment)).toContainEqual({
      path: '/spec/template/spec/containers/0/ports/0/containerPort',
      message: 'must be integer',
    });
  });

  it("defaults: two esalerts sharing the rules, rolling updates, with the image's config.yaml and example rules", async () => {
    const manifests = await render({});
    const deployment = getManifest(manifests, 'Deployment');
    expect((deployment.spec as Obj).replicas).toBe(2);
    expect((deployment.spec as Obj).strategy).toEqual({ type: 'RollingUpdate' });
    expect(podOf(deployment).affinity).toHaveProperty('podAntiAffinity');
    expect(containerOf(deployment).args).toEqual(image.cmd);
    expect(containerOf(deployment).image).toBe('esalert:0.1.0');
    expectConfigMounts(deployment, image, { config: undefined, rules: undefined });
    expect(manifests.map((m) => m.doc.kind).sort()).toEqual([
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    expect((getManifest(manifests, 'Service').metadata as Obj).annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(image.expose[0]),
      'prometheus.io/path': '/metrics',
    });
  });

  it('existing ConfigMaps and Secrets: mounted and named, and the chart makes none of its own', async () => {
    const manifests = await render(CASES['existing ConfigMaps and Secrets']!.values);
    const deployment = getManifest(manifests, 'Deployment');
    expectConfigMounts(deployment, image, { config: 'esalert-config-prod', rules: 'team-rules' });
    const modules = (containerOf(deployment).volumeMounts as Obj[]).find(
      (m) => m.mountPath === '/etc/esalert/modules',
    );
    expect(modules).toMatchObject({ readOnly: true });
    expect(containerOf(deployment).envFrom).toEqual([
      { secretRef: { name: 'es-credentials' } },
      { secretRef: { name: 'robot-tokens' } },
    ]);
    expect(manifests.filter((m) => m.doc.kind === 'ConfigMap' || m.doc.kind === 'Secret')).toEqual([]);
  });

  it('config, rules and secrets as values: the chart holds them as given, and a changed config.yaml rolls the pods', async () => {
    const { values } = CASES['config, rules and secrets given as values']!;
    const manifests = await render(values);
    const deployment = getManifest(manifests, 'Deployment');
    const container = containerOf(deployment);
    expectConfigMounts(deployment, image, { config: `${RELEASE}-config`, rules: `${RELEASE}-rules` });

    const config = (getManifest(manifests, 'ConfigMap', `${RELEASE}-config`).data as Obj)[
      'config.yaml'
    ] as string;
    expect(config).toBe(configFile);
    const dir = mkdtempSync(join(tmpdir(), 'esalert-helm-config-'));
    try {
      writeFileSync(join(dir, 'config.yaml'), config);
      const env: Record<string, string> = { ES_HOST: 'es.logging.svc' };
      expect(loadGlobalConfig(join(dir, 'config.yaml'), { env: (n) => env[n] }).raw).toMatchObject({
        es_host: 'es.logging.svc',
        rules_folder: 'rules',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const rules = getManifest(manifests, 'ConfigMap', `${RELEASE}-rules`).data as Record<string, string>;
    for (const [file, text] of Object.entries(exampleRules)) expect(rules[file], file).toBe(text);
    expect(parse(rules['as-yaml.yaml']!)).toEqual({ name: 'as-yaml', type: 'any', alert: ['debug'] });

    // non-empty values only, in the chart's Secret, which the pod takes as environment variables
    const secret = getManifest(manifests, 'Secret', RELEASE);
    const decoded = Object.fromEntries(
      Object.entries(secret.data as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString(),
      ]),
    );
    expect(decoded).toEqual({
      ES_USERNAME: 'esalert',
      ES_PASSWORD: 'pw',
      DINGTALK_TOKEN: 't0k3n',
      DINGTALK_SIGN: 'SECs1gn',
    });
    expect(container.envFrom).toEqual([{ secretRef: { name: RELEASE } }]);
    expect(container.env).toEqual([
      { name: 'ES_HOST', value: 'elasticsearch-master.logging.svc' },
      { name: 'ES_PORT', value: '9243' },
      { name: 'ES_USE_SSL', value: 'true' },
    ]);
    expect(container.args).toEqual([...image.cmd, '--log-level', 'info']);

    // config.yaml and the credentials are read at start; the rules are reloaded without a restart
    const annotations = async (v: Obj) =>
      (((getManifest(await render(v), 'Deployment').spec as Obj).template as Obj).metadata as Obj)
        .annotations as Obj;
    const before = await annotations(values);
    expect(Object.keys(before).sort()).toEqual(['checksum/config', 'checksum/secrets']);
    const changedConfig = await annotations({
      ...values,
      config: { file: `${configFile}\ntimezone: Asia/Shanghai\n` },
    });
    expect(changedConfig['checksum/config']).not.toBe(before['checksum/config']);
    expect(changedConfig['checksum/secrets']).toBe(before['checksum/secrets']);
    const changedRules = await annotations({
      ...values,
      rules: { files: { 'one.yaml': exampleRules['pod-crashloop.yaml'] } },
    });
    expect(changedRules).toEqual(before);
  });

  it('ServiceMonitor scrapes the Service on its http port; the NetworkPolicy opens only that port, and DNS plus the given egress', async () => {
    const manifests = await render(CASES['ServiceMonitor and NetworkPolicy']!.values);
    const service = getManifest(manifests, 'Service');
    expect((service.metadata as Obj).annotations).toBeUndefined();
    const monitor = getManifest(manifests, 'ServiceMonitor');
    expect((monitor.metadata as Obj).labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const selector = ((monitor.spec as Obj).selector as Obj).matchLabels as Obj;
    expect((service.metadata as Obj).labels).toMatchObject(selector);
    expect((monitor.spec as Obj).endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    expect(((service.spec as Obj).ports as Obj[]).map((p) => p.name)).toContain('http');

    const deployment = getManifest(manifests, 'Deployment');
    const policy = getManifest(manifests, 'NetworkPolicy').spec as Obj;
    expect(((deployment.spec as Obj).template as Obj).metadata).toMatchObject({
      labels: (policy.podSelector as Obj).matchLabels,
    });
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.ingress).toEqual([
      {
        ports: [{ port: 'http', protocol: 'TCP' }],
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      },
    ]);
    const egress = policy.egress as Obj[];
    expect(egress[0]).toEqual({
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
    expect(egress.slice(1)).toEqual(
      (CASES['ServiceMonitor and NetworkPolicy']!.values.networkPolicy as Obj).egress,
    );
    // without egress rules, outgoing traffic is left alone
    const open = getManifest(await render({ networkPolicy: { enabled: true } }), 'NetworkPolicy').spec as Obj;
    expect(open.policyTypes).toEqual(['Ingress']);
    expect(open.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
  });

  it('two replicas: RollingUpdate, a PodDisruptionBudget and anti-affinity over their pods', async () => {
    const manifests = await render(CASES['two replicas']!.values);
    const deployment = getManifest(manifests, 'Deployment');
    const podLabels = (((deployment.spec as Obj).template as Obj).metadata as Obj).labels as Obj;
    expect((deployment.spec as Obj).replicas).toBe(2);
    expect((deployment.spec as Obj).strategy).toEqual({ type: 'RollingUpdate' });
    const pdb = getManifest(manifests, 'PodDisruptionBudget').spec as Obj;
    expect(pdb).toEqual({ selector: { matchLabels: expect.any(Object) as Obj }, maxUnavailable: 1 });
    expect(podLabels).toMatchObject((pdb.selector as Obj).matchLabels as Obj);
    const term = ((podOf(deployment).affinity as Obj).podAntiAffinity as Obj)
      .preferredDuringSchedulingIgnoredDuringExecution as Obj[];
    expect(term[0]).toMatchObject({
      weight: 100,
      podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' },
    });
    expect(podLabels).toMatchObject(
      ((term[0]!.podAffinityTerm as Obj).labelSelector as Obj).matchLabels as Obj,
    );
    const hard = podOf(getManifest(await render({ replicaCount: 2, podAntiAffinity: 'hard' }), 'Deployment'));
    expect((hard.affinity as Obj).podAntiAffinity).toHaveProperty(
      'requiredDuringSchedulingIgnoredDuringExecution',
    );
    // one replica is Recreate, and an explicit strategy wins
    const one = getManifest(await render({ replicaCount: 1 }), 'Deployment');
    expect((one.spec as Obj).strategy).toEqual({ type: 'Recreate' });
    expect(
      findManifest(await render({ podDisruptionBudget: { enabled: false } }), 'PodDisruptionBudget'),
    ).toBeUndefined();
    const explicit = getManifest(
      await render({ replicaCount: 1, strategy: { type: 'RollingUpdate' } }),
      'Deployment',
    );
    expect((explicit.spec as Obj).strategy).toEqual({ type: 'RollingUpdate' });
  });

  it('refuses misspelt keys and contradicting values, saying what to fix', async () => {
    const refused = async (values: Obj) => {
      const r = await template(values);
      expect(r.code).not.toBe(0);
      return r.stderr;
    };
    expect(await refused({ replicas: 2 })).toMatch(/additional properties 'replicas' not allowed/);
    expect(await refused({ secrets: { values: { 'dingtalk-token': 'x' } } })).toMatch(/dingtalk-token/);
    expect(await refused({ config: { file: configFile, existingConfigMap: 'mine' } })).toContain(
      'config: set config.file or config.existingConfigMap, not both',
    );
    expect(await refused({ rules: { files: { 'notes.txt': 'x' } } })).toMatch(/notes\.txt/);
    expect(await refused({ podAntiAffinity: 'always' })).toMatch(/podAntiAffinity/);
  });
});
