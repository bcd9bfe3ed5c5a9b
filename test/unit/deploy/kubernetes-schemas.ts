/**
 * Kubernetes' own JSON schemas, strict (an unknown field is an error, as `kubectl apply
 * --validate=strict` makes it), for checking manifests without a cluster. They come from the
 * kubernetes-validate package on PyPI, which bundles the schemas of several Kubernetes releases:
 * its wheel is downloaded once (checked against the index's sha256), the releases used here are
 * unzipped into the test cache (test/harness/cache.ts), and later runs are offline.
 *
 * Custom resources (the Prometheus Operator's ServiceMonitor) are checked against their
 * CustomResourceDefinitions, read from the operator's Go module (test/harness/go.ts) and made
 * strict the same way.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { cacheDir } from '../../harness/cache.ts';
import { goModuleDir } from '../../harness/go.ts';

const PACKAGE = 'kubernetes-validate';
const PACKAGE_VERSION = '1.37.0';

/** The oldest and the newest release the manifests must suit. */
export const KUBERNETES_VERSIONS = ['1.30.0', '1.37.0'] as const;

const member = (version: string) => `kubernetes_validate/kubernetes-json-schema/v${version}-local-strict`;

/** The directory of one release's strict schemas (`deployment-apps-v1.json`, `_definitions.json`, ...). */
export async function kubernetesSchemaDir(version: string): Promise<string> {
  const base = join(cacheDir(), `${PACKAGE}-${PACKAGE_VERSION}`);
  const dir = join(base, member(version));
  if (existsSync(join(dir, '_definitions.json'))) return dir;
  const tmp = mkdtempSync(`${base}.part-`);
  try {
    // the wheel, found through PyPI's simple index (its link carries the sha256)
    const wheelName = `${PACKAGE.replace(/-/g, '_')}-${PACKAGE_VERSION}-py3-none-any.whl`;
    const index = await fetch(`https://pypi.org/simple/${PACKAGE}/`).then((r) => r.text());
    const link = new RegExp(`href="([^"]*/${wheelName.replace(/\./g, '\\.')})#sha256=([0-9a-f]{64})"`).exec(
      index,
    );
    if (!link)
      throw new Error(`the Kubernetes schemas come from PyPI (${wheelName}); it is not in the index`);
    const bytes = Buffer.from(await (await fetch(link[1]!)).arrayBuffer());
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== link[2]) throw new Error(`${wheelName}: sha256 ${sha}, expected ${link[2]}`);
    const wheel = join(tmp, wheelName);
    writeFileSync(wheel, bytes);
    // only the releases checked here, not the whole wheel
    execFileSync(
      'unzip',
      ['-q', wheel, ...KUBERNETES_VERSIONS.map((v) => `${member(v)}/*`), '-d', join(tmp, 'out')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    rmSync(base, { recursive: true, force: true });
    renameSync(join(tmp, 'out'), base);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** The Prometheus Operator release whose CRDs describe the custom resources the chart may render. */
const PROMETHEUS_OPERATOR = {
  module: 'github.com/prometheus-operator/prometheus-operator',
  version: 'v0.85.0',
};
const CRD_FILES = ['example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml'];

type Schema = Record<string, unknown>;

/** The CRDs, copied once from the operator's Go module into the test cache. */
async function customResourceDefinitions(): Promise<Schema[]> {
  const dir = join(cacheDir(), `prometheus-operator-${PROMETHEUS_OPERATOR.version}`);
  const cached = CRD_FILES.map((f) => join(dir, basename(f)));
  if (!cached.every((f) => existsSync(f))) {
    const source = await goModuleDir(PROMETHEUS_OPERATOR.module, PROMETHEUS_OPERATOR.version);
    mkdirSync(dir, { recursive: true });
    CRD_FILES.forEach((f, i) => {
      const tmp = `${cached[i]!}.part-${process.pid}`;
      copyFileSync(join(source, f), tmp);
      renameSync(tmp, cached[i]!);
    });
  }
  return cached.map((f) => parse(readFileSync(f, 'utf8')) as Schema);
}

/**
 * A CRD version's OpenAPI schema as strict JSON Schema: an object with declared properties admits
 * no others (unless the CRD keeps unknown fields), and metadata is Kubernetes' ObjectMeta.
 */
function strictCustomResourceSchema(openApi: Schema): Schema {
  const strict = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strict);
    if (node === null || typeof node !== 'object') return node;
    const out: Schema = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, strict(v)]));
    if (
      out.properties &&
      out.additionalProperties === undefined &&
      out['x-kubernetes-preserve-unknown-fields'] !== true
    )
      out.additionalProperties = false;
    return out;
  };
  const schema = strict(openApi) as Schema;
  schema.properties = {
    ...(schema.properties as Schema),
    metadata: {
      $ref: 'https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    },
  };
  return schema;
}

export interface ManifestProblem {
  path: string;
  message: string;
}

/**
 * A validator for one Kubernetes release: `check(manifest)` lists what is wrong with it. With
 * `customResources`, the Prometheus Operator's kinds are known too.
 */
export async function kubernetesValidator(
  version: string,
  options: { customResources?: boolean } = {},
): Promise<(manifest: Record<string, unknown>) => ManifestProblem[]> {
  const dir = await kubernetesSchemaDir(version);
  // the schemas carry Kubernetes' own keywords (x-kubernetes-*) and formats (int32, int-or-string)
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(JSON.parse(readFileSync(join(dir, '_definitions.json'), 'utf8')) as object);
  const custom = new Map<string, Schema>();
  for (const crd of options.customResources ? await customResourceDefinitions() : []) {
    const spec = crd.spec as { group: string; names: { kind: string }; versions: Schema[] };
    for (const v of spec.versions)
      custom.set(
        `${spec.group}/${String(v.name)} ${spec.names.kind}`,
        strictCustomResourceSchema((v.schema as Schema).openAPIV3Schema as Schema),
      );
  }
  const compiled = new Map<string, ValidateFunction>();
  return (manifest) => {
    const { apiVersion, kind } = manifest;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string')
      return [{ path: '', message: 'needs apiVersion and kind' }];
    const [group, ver] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const file = [kind.toLowerCase(), group ? group.split('.')[0] : undefined, ver].filter(Boolean).join('-');
    const customSchema = custom.get(`${apiVersion} ${kind}`);
    let validate = compiled.get(customSchema ? `${apiVersion} ${kind}` : file);
    if (!validate && customSchema) {
      validate = ajv.compile(customSchema);
      compiled.set(`${apiVersion} ${kind}`, validate);
    }
    if (!validate) {
      const schemaFile = join(dir, `${file}.json`);
      if (!existsSync(schemaFile))
        return [{ path: '', message: `Kubernetes ${version} has no ${kind} in ${apiVersion}` }];
      validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
      compiled.set(file, validate);
    }
    if (validate(manifest)) return [];
    return (validate.errors ?? []).map((e: ErrorObject) => ({
      path: e.instancePath || '/',
      message:
        e.keyword === 'additionalProperties'
          ? `unknown field "${String(e.params.additionalProperty)}"`
          : (e.message ?? e.keyword),
    }));
  };
}
