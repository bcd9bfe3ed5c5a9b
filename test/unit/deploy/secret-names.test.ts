/**
 * One name per secret: the variables the example rules name as ${VAR} (their comments included) are
 * the ones the Kubernetes Secret example, the Compose file, the Helm chart's values and the deploy
 * documentation offer, and none of those spells a robot credential any other way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from './dockerfile-model.ts';

const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

/** ${VAR}, ${VAR:-default} and ${VAR:?message}, in rule files (comments too). */
const RULE_VARIABLE = /\$\{([A-Z_][A-Z0-9_]*)(?::[-?][^}]*)?\}/g;
/** How robot credentials are spelt: DINGTALK_..., WECOM_..., WORK_WECHAT_... */
const ROBOT_VARIABLE = /\b(?:DINGTALK|WECOM|WORK_WECHAT)_[A-Z0-9_]+\b/g;

describe('secret names', () => {
  const fromRules = new Set(
    readdirSync(join(REPO, 'rules'))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => [...read(join('rules', f)).matchAll(RULE_VARIABLE)].map((m) => m[1]!)),
  );
  const places = {
    'deploy/kubernetes/secret.example.yaml': read('deploy/kubernetes/secret.example.yaml'),
    'docker-compose.yml': read('docker-compose.yml'),
    'deploy/helm/esalert/values.yaml': read('deploy/helm/esalert/values.yaml'),
    'docs/deploy.md': read('docs/deploy.md'),
  };

  it('the example rules name their robots’ credentials', () => {
    expect([...fromRules].sort()).toEqual(['DINGTALK_SIGN', 'DINGTALK_TOKEN', 'WECOM_BOT_KEY']);
  });

  it('the Secret example and the Compose file provide each of them, by that name', () => {
    const secret = parse(places['deploy/kubernetes/secret.example.yaml']) as {
      stringData: Record<string, string>;
    };
    const compose = parse(places['docker-compose.yml']) as {
      services: { esalert: { environment: Record<string, string> } };
    };
    for (const name of fromRules) {
      expect(Object.keys(secret.stringData), name).toContain(name);
      expect(compose.services.esalert.environment[name], name).toBe(`\${${name}:-}`);
    }
  });

  it("the chart's values and docs/deploy.md name each of them", () => {
    for (const name of fromRules) {
      expect(places['deploy/helm/esalert/values.yaml'], name).toContain(`# ${name}: `);
      expect(places['docs/deploy.md'], name).toContain(`\`${name}\``);
    }
  });

  it('no other spelling of a robot credential appears where secrets are set up', () => {
    for (const [file, text] of Object.entries(places)) {
      const other = [...text.matchAll(ROBOT_VARIABLE)].map((m) => m[0]).filter((n) => !fromRules.has(n));
      expect(other, file).toEqual([]);
    }
  });
});
