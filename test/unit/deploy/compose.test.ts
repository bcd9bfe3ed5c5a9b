/**
 * docker-compose.yml without Docker: Elasticsearch single-node with a health check, and esalert
 * built from the Dockerfile, waiting for it, with its files mounted where the image expects them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readImageModel, REPO } from './dockerfile-model.ts';

interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
    volumes?: Record<string, unknown>;
  };
  const image = readImageModel();
  const { elasticsearch, esalert } = compose.services;

  it('has Elasticsearch 8 single-node, security off, reachable only from this machine, with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['elasticsearch', 'esalert']);
    expect(elasticsearch!.image).toMatch(/^docker\.elastic\.co\/elasticsearch\/elasticsearch:8\.\d+\.\d+$/);
    expect(elasticsearch!.environment).toMatchObject({
      'discovery.type': 'single-node',
      'xpack.security.enabled': 'false',
    });
    expect(elasticsearch!.ports).toEqual(['127.0.0.1:9200:9200']);
    expect(elasticsearch!.healthcheck?.test?.join(' ')).toContain('/_cluster/health');
    for (const v of elasticsearch!.volumes ?? [])
      expect(Object.keys(compose.volumes ?? {})).toContain(v.split(':')[0]);
  });

  it('builds esalert from the Dockerfile and starts it once Elasticsearch is healthy', () => {
    const context = typeof esalert!.build === 'string' ? esalert!.build : esalert!.build?.context;
    expect(context).toBe('.');
    expect(existsSync(join(REPO, context!, 'Dockerfile'))).toBe(true);
    expect(esalert!.depends_on).toEqual({ elasticsearch: { condition: 'service_healthy' } });
    expect(esalert!.environment).toMatchObject({ ES_HOST: 'elasticsearch', ES_PORT: '9200' });
    // the image's HEALTHCHECK stays in force
    expect(esalert!.healthcheck?.disable).not.toBe(true);
    expect(image.healthcheck).toBeDefined();
  });

  it('mounts existing files read-only at the paths the image documents', () => {
    const configPath = image.cmd[image.cmd.indexOf('--config') + 1]!;
    const runtime = image.stages.at(-1)!;
    const documented = new Set(runtime.steps.flatMap((s) => (s.kind === 'copy' ? [s.dest] : [])));
    expect(documented).toContain(configPath);
    const mounts = (esalert!.volumes ?? []).map((v) => {
      const [source, target, mode] = v.split(':');
      return { source: source!, target: target!, mode };
    });
    expect(mounts.map((m) => m.target)).toEqual(
      expect.arrayContaining([configPath, '/etc/esalert/rules', '/etc/esalert/modules']),
    );
    for (const m of mounts) {
      expect(existsSync(join(REPO, m.source)), m.source).toBe(true);
      expect(documented, m.target).toContain(m.target);
      expect(m.mode, m.target).toBe('ro');
    }
  });

  it("publishes the image's HTTP port on this machine only", () => {
    expect(esalert!.ports).toEqual([`127.0.0.1:${image.expose[0]}:${image.expose[0]}`]);
  });
});
