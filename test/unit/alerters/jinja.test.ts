/**
 * The Jinja renderer (src/format/jinja.ts) used by alert_text_jinja, webhook and post2: Jinja
 * behaviour through nunjucks, automatic JSON escaping, the extra filters, load-time checks.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertBody, alertTitle } from '../../../src/format/alert-text.ts';
import {
  checkTemplate,
  compileJsonTemplate,
  compileTemplate,
  createJinjaRenderer,
  jsonEscape,
  renderJsonTemplate,
  TemplateError,
} from '../../../src/format/jinja.ts';
import { isEsalertError } from '../../../src/errors/esalert-error.ts';

const render = createJinjaRenderer();

describe('text mode (alert_text_jinja)', () => {
  it('prints values the way Jinja prints Python values', () => {
    expect(
      render('{{ s }}|{{ n }}|{{ f }}|{{ t }}|{{ no }}|{{ nil }}|{{ missing }}|{{ list }}|{{ obj }}', {
        s: 'x',
        n: 3,
        f: 1.5,
        t: true,
        no: false,
        nil: null,
        list: [1, 'a'],
        obj: { k: "it's", b: true },
      }),
    ).toBe(`x|3|1.5|True|False|None||[1, 'a']|{'k': "it's", 'b': True}`);
  });

  it('nothing is escaped, HTML included', () => {
    expect(render('{{ m }}', { m: '<b>"a" & b</b>\n' })).toBe('<b>"a" & b</b>\n');
  });

  it('Jinja syntax: True/None, dict.items(), conditions, loops, default, slices', () => {
    const t =
      "{% for k, v in labels.items() %}{{ k }}={{ v }};{% endfor %}{% if count > 5 and ok == True %} many{% endif %} {{ absent | default('n/a') }} {{ name[:3] }} {{ x is none }}";
    expect(
      render(t, { labels: { app: 'api', tier: 'web' }, count: 7, ok: true, name: 'kubelet', x: null }),
    ).toBe('app=api;tier=web; many n/a kub True');
  });

  it('the values of alert_text_jinja: rule options, match fields, and the jinja root', () => {
    const raw = {
      name: 'r',
      alert_text_type: 'alert_text_jinja',
      alert_text: '{{ event.reason }} on {{ _data["event"]["involvedObject"]["name"] }} ({{ owner }})',
      alert_subject: '[{{ event.type }}] {{ name }}',
      owner: 'team-a',
    };
    const match = { event: { reason: 'OOMKilling', type: 'Warning', involvedObject: { name: 'node-3' } } };
    const src = { raw, name: 'r', matchText: () => '', renderJinja: render };
    expect(alertBody(src, [match])).toBe('OOMKilling on node-3 (team-a)\n\n');
    expect(alertTitle(src, [match])).toBe('[Warning] r');
  });

  it('include/import from templateDir (jinja_template_path)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-jinja-'));
    writeFileSync(join(dir, 'header.j2'), 'Cluster {{ cluster }} ({{ flags }})');
    const r = createJinjaRenderer({ templateDir: dir });
    expect(r('{% include "header.j2" %}: {{ msg }}', { cluster: 'prod', msg: 'down', flags: [true] })).toBe(
      'Cluster prod ([True]): down',
    );
  });

  it('caches compiled templates per renderer', () => {
    const r = createJinjaRenderer();
    for (let i = 0; i < 300; i++) expect(r(`{{ x }}-${i % 10}`, { x: i })).toBe(`${i}-${i % 10}`);
  });
});

describe('time filters', () => {
  const ts = '2024-05-14T03:21:09.512Z';

  it('tz prints ISO 8601 with the zone offset', () => {
    expect(render("{{ ts | tz('Asia/Shanghai') }}", { ts })).toBe('2024-05-14T11:21:09.512+08:00');
    expect(render("{{ ts | tz('UTC') }}", { ts: '2024-05-14T03:21:09Z' })).toBe('2024-05-14T03:21:09+00:00');
    expect(render("{{ ts | tz('America/New_York') }}", { ts })).toBe('2024-05-13T23:21:09.512-04:00');
  });

  it('datetimeformat takes a strftime format and a zone (or the zone from tz)', () => {
    expect(render("{{ ts | datetimeformat('%Y-%m-%d %H:%M:%S', 'Asia/Shanghai') }}", { ts })).toBe(
      '2024-05-14 11:21:09',
    );
    expect(render("{{ ts | tz('Asia/Shanghai') | datetimeformat('%m/%d %H:%M %Z') }}", { ts })).toBe(
      '05/14 11:21 CST',
    );
    expect(render('{{ ts | datetimeformat }}', { ts })).toBe('2024-05-14 03:21:09');
    expect(
      render("{{ ms | datetimeformat('%H:%M', 'Asia/Tokyo') }}", { ms: Date.UTC(2024, 0, 1, 0, 5) }),
    ).toBe('09:05');
  });

  it('leaves values that are not timestamps alone, and rejects unknown zones', () => {
    expect(render("{{ x | tz('Asia/Shanghai') }}|{{ x | datetimeformat }}", { x: 'soon' })).toBe('soon|soon');
    expect(() => render("{{ ts | tz('Mars/Olympus') }}", { ts })).toThrow(
      /unknown time zone "Mars\/Olympus"/,
    );
  });
});

describe('json mode (webhook and post2 bodies)', () => {
  const nasty = 'quote " backslash \\ newline \n tab \t cr \r bell \u0007 emoji 😀 中文';

  it('escapes every printed value so the document stays JSON', () => {
    const t = compileJsonTemplate(
      '{"m": "{{ m }}", "upper": "{{ m | upper }}", "n": {{ n }}, "b": {{ b }}, "none": "{{ nil }}"}',
    );
    expect(t.renderJson({ m: nasty, n: 42, b: true, nil: null })).toEqual({
      m: nasty,
      upper: nasty.toUpperCase(),
      n: 42,
      b: true,
      none: '',
    });
  });

  it('tojson inserts raw JSON (keys sorted, as Jinja); json_escape and safe are not escaped twice', () => {
    const t = compileJsonTemplate(
      '{"o": {{ o | tojson }}, "e": "{{ m | json_escape }}", "s": {{ raw | safe }}, "missing": {{ nothing | tojson }}}',
    );
    expect(t.renderText({ o: { z: 1, a: [nasty] }, m: nasty, raw: '[1,2]' })).toBe(
      `{"o": {"a":[${JSON.stringify(nasty)}],"z":1}, "e": "${jsonEscape(nasty)}", "s": [1,2], "missing": null}`,
    );
  });

  it('{% set %} and {% filter %} blocks are escaped once, when printed', () => {
    const t = compileJsonTemplate(
      '{% set msg %}{{ reason }}: {{ m }}{% endset %}{"a": "{{ msg }}", "b": "{% filter upper %}{{ m }}{% endfilter %}"}',
    );
    expect(t.renderJson({ reason: 'BackOff', m: nasty })).toEqual({
      a: `BackOff: ${nasty}`,
      b: nasty.toUpperCase(),
    });
  });

  it('loops and conditions build arrays', () => {
    const t = compileJsonTemplate(
      '{"names": [{% for m in matches %}"{{ m.name }}"{% if not loop.last %},{% endif %}{% endfor %}], "kinds": {{ matches | map(attribute="obj.kind") | list | tojson }}}',
    );
    const matches = [
      { name: 'a"1', obj: { kind: 'Pod' } },
      { name: 'b\n2', obj: { kind: 'Node' } },
    ];
    expect(t.renderJson({ matches })).toEqual({ names: ['a"1', 'b\n2'], kinds: ['Pod', 'Node'] });
  });

  it('renderJsonTemplate returns the text; invalid JSON is a TemplateError saying where', () => {
    expect(renderJsonTemplate('{"a": "{{ x }}"}', { x: '"' })).toBe('{"a": "\\""}');
    const t = compileJsonTemplate('{"a": {{ x }}}');
    let err: unknown;
    try {
      t.renderJson({ x: 'not json' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect(isEsalertError(err, 'TEMPLATE_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/^the rendered text is not valid JSON \(/);
  });
});

describe('checkTemplate (load-time validation)', () => {
  it.each([
    ['{{ a }} {% if b %}x{% endif %}', undefined],
    ['{{ foo( }}', 'line 1, column 9: unexpected token: }}'],
    ['{% if x %}never closed', 'expected elif, else, or endif, got end of file'],
    ['line one\n{{ a | }}', 'line 2'],
  ])('%j -> %s', (template, problem) => {
    const result = checkTemplate(template);
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(problem);
  });

  it('render errors are TemplateErrors with a clean message', () => {
    expect(() => compileTemplate('{{ nope() }}').render({})).toThrow(
      'Unable to call `nope`, which is undefined or falsey',
    );
  });
});
