/** Built-in alerters by name and alias. */
import type { AlerterDefinition } from './alerter.ts';
import { debugAlerter } from './debug.ts';
import { dingtalkAlerter } from './dingtalk.ts';
import { emailAlerter } from './email.ts';
import { postAlerter } from './post.ts';
import { post2Alerter } from './post2.ts';
import { webhookAlerter } from './webhook.ts';
import { wecomAlerter } from './wecom.ts';

/** What rules can name: alerters by name and alias, and every option name they read. */
export interface AlerterCatalog {
  get(name: string): AlerterDefinition | undefined;
  has(name: string): boolean;
  names(): string[];
  optionNames(): Iterable<string>;
}

export const BUILTIN_ALERTERS: readonly AlerterDefinition[] = [
  debugAlerter,
  postAlerter,
  dingtalkAlerter,
  wecomAlerter,
  emailAlerter,
  webhookAlerter,
  post2Alerter,
];

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
