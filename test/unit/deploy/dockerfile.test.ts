/**
 * The Dockerfile without Docker: linted by the VS Code Docker extension's validator, and its
 * promises checked (base image, production dependencies only, unprivileged user, the documented
 * paths under /etc/esalert, port 9090 with its health check, a build context holding what the
 * build copies and nothing secret). test/integration/deploy-image.test.ts performs its steps.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { loadGlobalConfig } from '../../../src/config/global-config.ts';
import { contextFilter, type ImageModel, readImageModel, REPO, type Step } from './dockerfile-model.ts';

/** Every check of the validator, as an error. */
function lint(text: string): string[] {
  const settings: ValidatorSettings = {
    deprecatedMaintainer: ValidationSeverity.ERROR,
    directiveCasing: ValidationSeverity.ERROR,
    emptyContinuationLine: ValidationSeverity.ERROR,
    instructionCasing: ValidationSeverity.ERROR,
    instructionCmdMultiple: ValidationSeverity.ERROR,
    instructionEntrypointMultiple: ValidationSeverity.ERROR,
    instructionHealthcheckMultiple: ValidationSeverity.ERROR,
    instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
    instructionWorkdirRelative: ValidationSeverity.ERROR,
  };
  return validate(text, settings)
    .sort(
      (x, y) => x.range.start.line - y.range.start.line || x.range.start.character - y.range.start.character,
    )
    .map((d) => `Dockerfile:${d.range.start.line + 1}: ${d.message}`);
}

const runs = (steps: Step[]) => steps.flatMap((s) => (s.kind === 'run' ? [s.command] : []));
const copies = (steps: Step[]) => steps.flatMap((s) => (s.kind === 'copy' ? [s] : []));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(REPO, join(e.parentPath, e.name)));
}

describe('Dockerfile', () => {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const image: ImageModel = readImageModel();
  const [build, runtime] = image.stages;
  const port = image.expose[0];

  it('passes the Dockerfile validator with every check on', () => {
    expect(lint(text)).toEqual([]);
  });

  it('the validator reports broken Dockerfiles (so a clean result means something)', () => {
    const broken = 'FROM node:24-slim\nworkdir app\nEXPOSE http\nCMD ["a"]\nCMD [\'b\']\n';
    expect(lint(broken)).toEqual([
      'Dockerfile:2: Instructions should be written in uppercase letters',
      'Dockerfile:2: WORKDIR paths should be absolute',
      'Dockerfile:3: Invalid containerPort: http',
      'Dockerfile:4: There can only be one CMD instruction in a Dockerfile or build stage. Only the last one will have an effect.',
      'Dockerfile:5: Instruction written as a JSON array but is using single quotes instead of double quotes',
    ]);
  });

  it('builds on node:24-slim in two stages: compile, then production dependencies only', () => {
    expect(image.stages.map((s) => s.image)).toEqual(['node:24-slim', 'node:24-slim']);
    expect(build!.name).toBe('build');
    expect(runs(build!.steps)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^npm ci\b/), 'npm run build']),
    );
    expect(runs(runtime!.steps).some((r) => /^npm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs(runtime!.steps).some((r) => /npm run build|tsc/.test(r))).toBe(false);
    expect(copies(runtime!.steps)).toContainEqual(
      expect.objectContaining({ from: 'build', sources: ['/app/dist'], dest: './dist' }),
    );
    expect(image.env.NODE_ENV).toBe('production');
  });

  it("bounds V8's young generation and malloc's arenas (docs/deploy.md, Memory) with flags Node accepts there", () => {
    expect(image.env.NODE_OPTIONS).toMatch(/^--max-semi-space-size=\d+$/);
    expect(image.env.MALLOC_ARENA_MAX).toBe('2');
    // Node refuses to start on a flag NODE_OPTIONS does not allow, and on an unknown one
    const flags = image.entrypoint.slice(1, -1);
    const started = spawnSync(process.execPath, [...flags, '-e', ''], {
      env: { ...process.env, NODE_OPTIONS: image.env.NODE_OPTIONS },
      encoding: 'utf8',
    });
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
  });

  it('runs as an unprivileged user, by number (so Kubernetes can check runAsNonRoot)', () => {
    const [uid, gid] = (image.user ?? '').split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    expect(Number(gid ?? uid)).toBeGreaterThan(0);
  });

  it('starts esalert run with the documented config and the HTTP port it exposes, and checks /healthz there', () => {
    expect(image.expose).toEqual([9090]);
    expect(image.entrypoint).toEqual(['node', '--optimize-for-size', '--max-opt=1', '/app/dist/cli/main.js']);
    expect(image.cmd).toEqual(['run', '--config', '/etc/esalert/config.yaml', '--http-port', String(port)]);
    expect(image.healthcheck?.command[0]).toBe('node');
    expect(image.healthcheck?.command.join(' ')).toContain(`fetch('http://127.0.0.1:${port}/healthz'`);
    expect(Object.keys(image.healthcheck?.flags ?? {})).toEqual(
      expect.arrayContaining(['interval', 'timeout', 'start-period', 'retries']),
    );
  });

  it('puts config, rules and modules at the documented paths, the working directory beside them', () => {
    const dests = copies(runtime!.steps).map((c) => [c.sources.join(' '), c.dest]);
    expect(dests).toEqual(
      expect.arrayContaining([
        ['deploy/docker/config.yaml', '/etc/esalert/config.yaml'],
        ['rules', '/etc/esalert/rules'],
        ['modules', '/etc/esalert/modules'],
        // `esalert demo` reads these beside dist/
        ['rules', './rules'],
        ['examples', './examples'],
      ]),
    );
    expect(image.workdir).toBe('/etc/esalert');
  });

  it('the build context holds every file the COPY steps name, and no local secrets or build output', () => {
    const ignored = contextFilter();
    const fromContext = image.stages.flatMap((s) => copies(s.steps).filter((c) => c.from === undefined));
    const missing: string[] = [];
    for (const c of fromContext) {
      for (const source of c.sources) {
        const path = join(REPO, source);
        if (!existsSync(path)) {
          missing.push(`line ${c.line}: ${source} does not exist`);
          continue;
        }
        const files = statSync(path).isDirectory() ? filesUnder(path) : [source];
        missing.push(...files.filter((f) => ignored(f)).map((f) => `line ${c.line}: ${f}`));
      }
    }
    expect(missing).toEqual([]);
    for (const path of [
      'config.yaml',
      '.env',
      'node_modules/x/index.js',
      'dist/cli/main.js',
      'test/unit/a.test.ts',
      '.git/HEAD',
    ])
      expect(ignored(path), path).toBe(true);
  });

  it('src/ holds only TypeScript, so the compiled dist/ is all the runtime needs of it', () => {
    const other = filesUnder(join(REPO, 'src')).filter((f) => !f.endsWith('.ts'));
    expect(other).toEqual([]);
  });

  it("the image's config.yaml reads the Elasticsearch settings from the environment", () => {
    const file = join(REPO, 'deploy/docker/config.yaml');
    const env: Record<string, string> = {
      ES_HOST: 'es.monitoring.svc',
      ES_PORT: '9243',
      ES_USERNAME: 'esalert',
      ES_PASSWORD: 'secret',
      ESALERT_WRITEBACK_INDEX: 'esalert_prod',
    };
    const config = loadGlobalConfig(file, { env: (n) => env[n] });
    expect(config.raw).toMatchObject({
      es_host: 'es.monitoring.svc',
      es_port: 9243,
      es_username: 'esalert',
      es_password: 'secret',
    });
    expect(config.writebackIndex).toBe('esalert_prod');
    expect(config.raw.rules_folder).toBe('rules');
    const defaults = loadGlobalConfig(file, { env: () => undefined });
    expect(defaults.raw).toMatchObject({ es_host: 'elasticsearch', es_port: 9200 });
    expect(defaults.writebackIndex).toBe('elastalert_status');
  });
});
