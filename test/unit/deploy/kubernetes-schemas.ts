/**
 * Kubernetes' own JSON schemas, strict (an unknown field is an error, as `kubectl apply
 * --validate=strict` makes it), for checking manifests without a cluster. They come from the
 * kubernetes-validate package on PyPI, which bundles the schemas of several Kubernetes releases:
 * its wheel is downloaded once (checked against the index's sha256), the releases used here are
 * unzipped into the test cache (test/harness/cache.ts), and later runs are offline.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { cacheDir } from '../../harness/cache.ts';

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

export interface ManifestProblem {
  path: string;
  message: string;
}

/** A validator for one Kubernetes release: `check(manifest)` lists what is wrong with it. */
export async function kubernetesValidator(
  version: string,
): Promise<(manifest: Record<string, unknown>) => ManifestProblem[]> {
  const dir = await kubernetesSchemaDir(version);
  // the schemas carry Kubernetes' own keywords (x-kubernetes-*) and formats (int32, int-or-string)
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(JSON.parse(readFileSync(join(dir, '_definitions.json'), 'utf8')) as object);
  const compiled = new Map<string, ValidateFunction>();
  return (manifest) => {
    const { apiVersion, kind } = manifest;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string')
      return [{ path: '', message: 'needs apiVersion and kind' }];
    const [group, ver] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const file = [kind.toLowerCase(), group ? group.split('.')[0] : undefined, ver].filter(Boolean).join('-');
    let validate = compiled.get(file);
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
