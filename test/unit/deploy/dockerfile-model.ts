/**
 * The repository's Dockerfile and .dockerignore as plain data, read with the parser of the VS Code
 * Docker extension (dockerfile-ast): the stages and their steps, and the final stage's user, ports,
 * health check and command. The Dockerfile tests check this model, and the image replay
 * (test/integration/deploy-image.test.ts) performs its steps.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Ignore } from '@balena/dockerignore';
import { type Copy, DockerfileParser, type Env, type Healthcheck, type Instruction } from 'dockerfile-ast';

// a CommonJS function export, which its type declarations describe as a default export
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options?: {
  ignorecase?: boolean;
}) => Ignore;

export const REPO = join(import.meta.dirname, '../../..');

export type Step =
  | { kind: 'workdir'; line: number; path: string }
  | { kind: 'env'; line: number; vars: Record<string, string> }
  | { kind: 'copy'; line: number; from: string | undefined; sources: string[]; dest: string }
  | { kind: 'run'; line: number; command: string };

export interface Stage {
  name: string | undefined;
  image: string;
  steps: Step[];
}

export interface ImageModel {
  stages: Stage[];
  /** The last stage: what the image runs. */
  user: string | undefined;
  workdir: string;
  env: Record<string, string>;
  expose: number[];
  entrypoint: string[];
  cmd: string[];
  healthcheck: { flags: Record<string, string>; command: string[] } | undefined;
}

/** Exec-form (JSON array) arguments; shell form is refused, since PID 1 must get the signals. */
function execForm(instruction: Instruction): string[] {
  const text = instruction.getArgumentsContent() ?? '';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(
      `line ${line(instruction)}: ${instruction.getKeyword()} must use the exec form ["...", ...]`,
    );
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new Error(`line ${line(instruction)}: ${instruction.getKeyword()} must be a JSON array of strings`);
  return value;
}

const line = (i: Instruction) => i.getRange().start.line + 1;

function flagsOf(instruction: Copy | Healthcheck): Record<string, string> {
  return Object.fromEntries(instruction.getFlags().map((f) => [f.getName(), f.getValue() ?? '']));
}

export function parseDockerfile(text: string): ImageModel {
  const dockerfile = DockerfileParser.parse(text);
  const stages: Stage[] = [];
  let user: string | undefined;
  let workdir = '/';
  let env: Record<string, string> = {};
  let expose: number[] = [];
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let cmdSet = false;
  let healthcheck: ImageModel['healthcheck'];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const asAt = args.findIndex((a) => a.toUpperCase() === 'AS');
      stages.push({ image: args[0] ?? '', name: asAt >= 0 ? args[asAt + 1] : undefined, steps: [] });
      user = undefined;
      workdir = '/';
      env = {};
      expose = [];
      entrypoint = [];
      cmd = [];
      cmdSet = false;
      healthcheck = undefined;
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`line ${line(instruction)}: ${keyword} before FROM`);
    switch (keyword) {
      case 'WORKDIR': {
        const path = instruction.getArgumentsContent() ?? '';
        workdir = path.startsWith('/') ? path : join(workdir, path);
        stage.steps.push({ kind: 'workdir', line: line(instruction), path: workdir });
        break;
      }
      case 'ENV': {
        const vars = Object.fromEntries(
          (instruction as Env)
            .getProperties()
            .map((p) => [p.getName(), envValue(p.getUnescapedValue() ?? '')]),
        );
        env = { ...env, ...vars };
        stage.steps.push({ kind: 'env', line: line(instruction), vars });
        break;
      }
      case 'COPY': {
        const copy = instruction as Copy;
        const flags = flagsOf(copy);
        const unknown = Object.keys(flags).filter((f) => f !== 'from');
        if (unknown.length) throw new Error(`line ${line(copy)}: COPY --${unknown[0]} is not replayed`);
        const args = copy.getArguments().map((a) => a.getValue());
        const dest = args.pop();
        if (!dest || args.length === 0)
          throw new Error(`line ${line(copy)}: COPY needs a source and a destination`);
        stage.steps.push({ kind: 'copy', line: line(copy), from: flags.from, sources: args, dest });
        break;
      }
      case 'RUN':
        stage.steps.push({
          kind: 'run',
          line: line(instruction),
          command: instruction.getArgumentsContent() ?? '',
        });
        break;
      case 'USER':
        user = instruction.getArgumentsContent() ?? undefined;
        break;
      case 'EXPOSE':
        expose = instruction.getArguments().map((a) => Number.parseInt(a.getValue(), 10));
        break;
      case 'ENTRYPOINT':
        entrypoint = execForm(instruction);
        if (!cmdSet) cmd = []; // as Docker does: ENTRYPOINT drops a CMD inherited from the base image
        break;
      case 'CMD':
        cmd = execForm(instruction);
        cmdSet = true;
        break;
      case 'HEALTHCHECK': {
        const check = instruction as Healthcheck;
        if (check.getSubcommand()?.getValue().toUpperCase() === 'NONE') {
          healthcheck = undefined;
          break;
        }
        const content = check.getArgumentsContent() ?? '';
        const at = content.search(/\bCMD\b/);
        const command = JSON.parse(content.slice(at + 3).trim()) as string[];
        healthcheck = { flags: flagsOf(check), command };
        break;
      }
      case 'LABEL':
      case 'STOPSIGNAL':
        break;
      default:
        throw new Error(`line ${line(instruction)}: ${keyword} is not part of the model yet`);
    }
  }
  return { stages, user, workdir, env, expose, entrypoint, cmd, healthcheck };
}

export function readImageModel(): ImageModel {
  return parseDockerfile(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
}

/** True when .dockerignore keeps `path` (relative to the repository, with / separators) out of the build context. */
export function contextFilter(): (path: string) => boolean {
  const ig = dockerignore({ ignorecase: false }).add(readFileSync(join(REPO, '.dockerignore'), 'utf8'));
  return (path) => ig.ignores(path);
}

/** An ENV value as Docker sets it: surrounding quotes removed, escaped spaces and quotes unescaped. */
function envValue(raw: string): string {
  const quoted = /^"(.*)"$/s.exec(raw) ?? /^'(.*)'$/s.exec(raw);
  return (quoted ? quoted[1]! : raw).replace(/\\([\\ "'])/g, '$1');
}
