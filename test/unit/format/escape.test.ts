/**
 * Event text in rich formats (src/format/escape.ts, src/format/alert-text.ts): in a markdown or
 * HTML alert, event values cannot make links, images, HTML, @mentions, headings or code blocks;
 * the rule's own text keeps its markup; `escape_event_text: false` turns it off.
 */
import { describe, expect, it } from 'vitest';
import { alertBody } from '../../../src/format/alert-text.ts';
import { createJinjaRenderer } from '../../../src/format/jinja.ts';
import { escapeHtml, escapeMarkdown } from '../../../src/format/escape.ts';

const Z = '\u200b';

describe('escapeMarkdown', () => {
  it.each([
    ['[click me](https://evil.example/x)', `[click me]${Z}(https://evil.example/x)`],
    ['![](https://tracker.example/p.png)', `!${Z}[]${Z}(https://tracker.example/p.png)`],
    ['[a] [b]: https://evil.example', `[a]${Z} [b]${Z}: https://evil.example`],
    ['[x][ref]', `[x]${Z}[ref]`],
    ['<@zhangsan> <@all>', `<${Z}@zhangsan> <${Z}@all>`],
    ['<font color="warning">fake</font>', `<${Z}font color="warning">fake<${Z}/font>`],
    ['<https://evil.example>', `<${Z}https://evil.example>`],
    [
      '# RESOLVED\n> all good\n- item\n1. one\n| a |',
      `${Z}# RESOLVED\n${Z}> all good\n${Z}- item\n${Z}1. one\n${Z}| a |`,
    ],
    ['x ```rest', `x \`${Z}\`${Z}\`rest`],
  ])('%j', (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it('leaves pod names, messages and numbers as they are', () => {
    for (const text of [
      'api-7c9f8d6b5-x2k4p',
      'Back-off restarting failed container "api" in pod api-7c9f8d6b5-x2k4p_prod(0a1b-2c3d)',
      '10.0.0.1:8080 3.5 -1',
      'node-3.cluster.local',
    ])
      expect(escapeMarkdown(text)).toBe(text);
  });

  it('is linear: a 300 KB run of brackets and angle brackets comes out whole', () => {
    const text = '[x](<'.repeat(60_000);
    const out = escapeMarkdown(text);
    expect(out.split(Z).join('')).toBe(text);
    expect(out).not.toContain('](');
  });
});

describe('escapeHtml', () => {
  it('escapes as Python html.escape', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe(
      '&lt;img src=x onerror=&quot;a(&#x27;b&#x27;)&quot;&gt;&amp;',
    );
  });
});

describe('alert text for a rich channel', () => {
  const match = {
    '@timestamp': '2024-05-14T03:21:09Z',
    message: 'see [docs](https://evil.example) <@boss> ![x](https://t.example/p.png)',
    pod: 'api-7c9f8d6b5-x2k4p',
  };
  const rule = {
    name: 'r',
    alert_text: '**Pod {0}**: {1} [runbook](https://wiki.example/r)',
    alert_text_args: ['pod', 'message'],
  };
  const src = (raw: Record<string, unknown>, format?: 'markdown' | 'html') => ({
    raw,
    name: 'r',
    matchText: () => 'rule paragraph <b>x</b>',
    ...(format ? { format } : {}),
  });

  it('markdown: event values are escaped, the rule text keeps its markup', () => {
    const body = alertBody(src(rule, 'markdown'), [match]);
    expect(body).toContain('**Pod api-7c9f8d6b5-x2k4p**: see [docs]');
    expect(body).toContain('[runbook](https://wiki.example/r)');
    expect(body).not.toContain('](https://evil.example)');
    expect(body).not.toContain('<@boss>');
    expect(body).not.toContain('![x]');
  });

  it('the default body escapes field names and values and the rule type paragraph', () => {
    const body = alertBody(src({ name: 'r' }, 'html'), [{ '<b>k</b>': '<script>alert(1)</script>' }]);
    expect(body).toBe(
      'r\n\nrule paragraph &lt;b&gt;x&lt;/b&gt;\n\n&lt;b&gt;k&lt;/b&gt;: &lt;script&gt;alert(1)&lt;/script&gt;\n',
    );
  });

  it('escape_event_text: false and plain channels leave event text as it is (ElastAlert 2)', () => {
    const plain = alertBody(src(rule), [match]);
    expect(alertBody(src({ ...rule, escape_event_text: false }, 'markdown'), [match])).toBe(plain);
    expect(plain).toContain('](https://evil.example)');
  });

  it('Jinja templates: printed values escaped for the format, the template as written, |safe raw', () => {
    const render = createJinjaRenderer();
    const t = '**{{ pod }}** {{ message }} {{ raw | safe }} [ok](https://wiki.example)';
    const values = { pod: 'p-1', message: '[a](https://evil.example) <@all>', raw: '<b>kept</b>' };
    expect(render(t, values, 'markdown')).toBe(
      `**p-1** [a]${Z}(https://evil.example) <${Z}@all> <b>kept</b> [ok](https://wiki.example)`,
    );
    expect(render('<p>{{ message }}</p>', values, 'html')).toBe(
      '<p>[a](https://evil.example) &lt;@all&gt;</p>',
    );
    expect(render(t, values)).toContain('[a](https://evil.example) <@all>');
  });

  it('summary tables: markdown cells escaped (| too), ascii tables escaped whole, html tables as they are', () => {
    const matches = [{ m: 'a | b [x](https://evil.example)' }];
    const md = alertBody(
      src(
        {
          name: 'r',
          summary_table_fields: ['m'],
          summary_table_type: 'markdown',
          alert_text_type: 'aggregation_summary_only',
        },
        'markdown',
      ),
      matches,
    );
    expect(md).toContain(`| a \\| b [x]${Z}(https://evil.example) | 1 |`);
    const ascii = alertBody(
      src({ name: 'r', summary_table_fields: ['m'], alert_text_type: 'aggregation_summary_only' }, 'html'),
      [{ m: '<i>x</i>' }],
    );
    expect(ascii).toContain('&lt;i&gt;x&lt;/i&gt;');
  });
});
