/**
 * The Node.js esalert needs: the npm scripts run on the Node.js 24 that `npm ci` installs (the `node`
 * development dependency), whatever node the machine has, and an older Node.js that starts esalert
 * anyway is refused in one sentence by bin/check-node.cjs. The refusal is checked on a real older
 * Node.js: the first one on PATH or in /usr/bin, /usr/local/bin whose version esalert does not support.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSupportedNode } from '../../../bin/check-node.cjs';
import { REPO } from './dockerfile-model.ts';
import { findOldNode, refusalOf } from './old-node.ts';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};

const old = findOldNode();
// the spawned processes see neither npm's variables nor the test runner's
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(npm_|VITEST|NODE_OPTIONS$)/.test(k)),
);
const PRELOAD = 'node --require ./bin/check-node.cjs ';

describe('the Node.js version', () => {
  it('supports what package.json engines says: 22.18+ and 24+', () => {
    expect(pkg.engines.node).toBe('^22.18.0 || >=24.0.0');
    const table: [string, boolean][] = [
      ['18.20.8', false],
      ['20.19.5', false],
      ['v20.20.2', false],
      ['22.17.1', false],
      ['22.18.0', true],
      ['22.23.3', true],
      ['23.11.0', false],
      ['24.0.0', true],
      ['24.21.0', true],
      ['26.1.0', true],
    ];
    expect(table.map(([v]) => [v, isSupportedNode(v)])).toEqual(table);
  });

  it('the npm scripts run on the Node.js 24 of the `node` development dependency, its install script allowed', () => {
    expect(pkg.devDependencies.node).toMatch(/^\^24\./);
    expect(pkg.allowScripts?.node).toBe(true);
    // the scripts that run TypeScript check the version first; the test script before anything else
    for (const name of ['esalert', 'demo', 'es:up', 'es:down', 'corpus'])
      expect(pkg.scripts[name], name).toMatch(new RegExp(`^${PRELOAD}\\S+\\.ts\\b`));
    expect(pkg.scripts.test).toMatch(/^node bin\/check-node\.cjs && /);
  });

  // each spawns Node.js, npm or both, which take seconds on a loaded machine
  const SPAWNS = { timeout: 120_000 };

  it('a supported Node.js runs the command line with the check preloaded', SPAWNS, () => {
    const args = pkg.scripts.esalert!.split(' ').slice(1);
    const res = spawnSync(process.execPath, [...args, '--version'], {
      cwd: REPO,
      encoding: 'utf8',
      env: cleanEnv,
    });
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('0.1.0');
    expect(res.status).toBe(0);
  });

  it(
    'npm ci on an older node ends by letting npm add, on Node.js 24, the optional packages it left out',
    SPAWNS,
    () => {
      expect(pkg.scripts.prepare).toBe('node scripts/complete-install.cjs');
      // a stand-in for npm that prints what it was asked to do
      const dir = mkdtempSync(join(tmpdir(), 'esalert-prepare-'));
      try {
        const fakeNpm = join(dir, 'npm-cli.cjs');
        writeFileSync(fakeNpm, 'console.log(JSON.stringify(process.argv.slice(2)))');
        const prepare = (npmNode: string) =>
          spawnSync(process.execPath, ['scripts/complete-install.cjs'], {
            cwd: REPO,
            encoding: 'utf8',
            env: {
              ...cleanEnv,
              npm_execpath: fakeNpm,
              npm_config_user_agent: `npm/10.8.2 node/${npmNode} linux x64 workspaces/false`,
            },
          });
        const older = prepare('v18.20.8');
        expect(older.status, older.stderr).toBe(0);
        expect(JSON.parse(older.stdout)).toEqual([
          'install',
          '--no-save',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
        ]);
        expect(older.stderr).toContain(
          `npm ran on Node.js v18.20.8; adding what it left out for Node.js ${process.version}`,
        );
        // npm on the same Node.js as the scripts installed everything already
        const same = prepare(process.version);
        expect([same.status, same.stdout, same.stderr]).toEqual([0, '', '']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  describe.skipIf(!old)(`an unsupported Node.js (${old?.path ?? 'none installed'})`, () => {
    const refusal = old ? refusalOf(old) : '';
    const oldNode = old?.path ?? 'node';

    it(
      'running the npm script command with it: refused in one sentence naming the version needed',
      SPAWNS,
      () => {
        const args = pkg.scripts.esalert!.split(' ').slice(1);
        const res = spawnSync(oldNode, [...args, '--version'], {
          cwd: REPO,
          encoding: 'utf8',
          env: cleanEnv,
        });
        expect(res.stderr).toBe(`${refusal}.\n`);
        expect(res.stdout).toBe('');
        expect(res.status).toBe(1);
        // under npm, where node_modules/.bin/node should have come first, it says why it may be missing
        const underNpm = spawnSync(oldNode, ['bin/check-node.cjs'], {
          cwd: REPO,
          encoding: 'utf8',
          env: { ...cleanEnv, npm_lifecycle_event: 'test' },
        });
        expect(underNpm.stderr).toBe(
          `${refusal}: \`npm ci\` installs Node.js 24 for the npm scripts unless install scripts are turned off.\n`,
        );
        expect(underNpm.status).toBe(1);
      },
    );

    it(
      'npm itself running on it: `npm run esalert` still runs esalert, on the Node.js 24 that npm ci installed',
      SPAWNS,
      () => {
        // the npm that started the tests (under npx, npm_execpath is npx-cli.js, beside npm-cli.js)
        const npm = process.env.npm_execpath?.replace(/npx-cli\.js$/, 'npm-cli.js');
        if (!npm || !existsSync(join(REPO, 'node_modules/.bin/node')))
          throw new Error('run this through npm (npm test, npx vitest) after npm ci');
        const res = spawnSync(oldNode, [npm, 'run', '--silent', 'esalert', '--', '--version'], {
          cwd: REPO,
          encoding: 'utf8',
          env: { ...cleanEnv, PATH: [dirname(oldNode), cleanEnv.PATH].join(delimiter) },
        });
        expect(res.stdout.trim(), res.stderr).toBe('0.1.0');
        expect(res.status).toBe(0);
      },
    );
  });
});
