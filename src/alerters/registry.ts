/** Built-in alerters by name and alias. */
import type { AlerterCatalog } from '../rules/load-rule.ts';
import type { AlerterDefinition } from './alerter.ts';
import { debugAlerter } from './debug.ts';
import { postAlerter } from './post.ts';

export const BUILTIN_ALERTERS: readonly AlerterDefinition[] = [debugAlerter, postAlerter];

export class AlerterRegistry implements AlerterCatalog {
  private readonly byName = new Map<string, AlerterDefinition>();

  constructor(definitions: readonly AlerterDefinition[] = BUILTIN_ALERTERS) {
    for (const d of definitions) {
      this.byName.set(d.name, d);
      for (const a of d.aliases ?? []) this.byName.set(a, d);
    }
  }

  get(name: string): AlerterDefinition | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...new Set([...this.byName.values()].map((d) => d.name))];
  }

  *optionNames(): Iterable<string> {
    for (const d of new Set(this.byName.values())) yield* d.optionNames;
  }
}
