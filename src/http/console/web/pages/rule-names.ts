/**
 * Rule names to pick from in a form: a datalist filled the first time its input gets focus, so
 * that a page does not wait for the list of every rule before showing itself.
 */
import { api } from '../api.ts';
import type { RulesResponse } from '../api-types.ts';
import { h } from '../dom.ts';

let names: Promise<string[]> | undefined;

function ruleNames(): Promise<string[]> {
  names ??= api<RulesResponse>('/api/rules').then(
    (r) => r.rules.map((x) => x.name),
    () => {
      names = undefined;
      return [];
    },
  );
  return names;
}

/** An input with the rule names as suggestions. */
export function ruleNameInput(
  attrs: Record<string, string | boolean | undefined>,
): [HTMLInputElement, HTMLDataListElement] {
  const id = `rule-names-${Math.random().toString(36).slice(2)}`;
  const list = h('datalist', { id });
  const input = h('input', { ...attrs, list: id, autocomplete: 'off' });
  input.addEventListener(
    'focus',
    () => void ruleNames().then((all) => list.replaceChildren(...all.map((n) => h('option', { value: n })))),
    { once: true },
  );
  return [input, list];
}
