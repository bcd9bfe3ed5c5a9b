/**
 * The template sandbox (src/format/jinja-sandbox.ts): the known nunjucks escapes (constructor
 * chains from globals, strings, macros and callers, inherited names, filters and tests named
 * after Object.prototype members, names written into the generated code) neither run code nor
 * print the environment; what templates legitimately do still works. And the values templates
 * see leave out credentials (src/format/template-values.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertBody, alertTitle } from '../../../src/format/alert-text.ts';
import { compileJsonTemplate, createJinjaRenderer, TemplateError } from '../../../src/format/jinja.ts';
import { MAX_RANGE } from '../../../src/format/jinja-sandbox.ts';
import { templateOptions } from '../../../src/format/template-values.ts';

const SECRET = 'env-secret-5f1e2d3c4b5a';
const VAR = 'ESALERT_SANDBOX_TEST_SECRET';
const g = globalThis as { __esalertPwned?: unknown };

// Each one would print the variable or set globalThis.__esalertPwned if it got out.
const run = `return (globalThis.__esalertPwned = 1, process.env.${VAR})`;
const PAYLOADS = [
  `{{ range.constructor("${run}")() }}`,
  `{{ cycler.constructor("${run}")() }}`,
  `{{ joiner.constructor("${run}")() }}`,
  `{{ cycler().next.constructor("${run}")() }}`,
  `{{ joiner()().constructor.constructor("${run}")() }}`,
  `{{ "".constructor.constructor("${run}")() }}`,
  `{{ ''.toString.constructor.call({}, "${run}")() }}`,
  `{{ "x".upper.constructor("${run}")() }}`,
  `{{ [].constructor.constructor("${run}")() }}`,
  `{{ ({}).constructor.constructor("${run}")() }}`,
  `{{ x.constructor.__proto__.constructor("${run}")() }}`,
  `{{ x.__proto__.constructor.constructor("${run}")() }}`,
  `{{ x["constructor"]["constructor"]("${run}")() }}`,
  `{{ constructor.constructor("${run}")() }}`,
  `{{ toString.constructor("${run}")() }}`,
  `{{ toString.call.constructor("${run}")() }}`,
  `{{ valueOf.constructor("${run}")() }}`,
  `{{ __proto__.constructor.constructor("${run}")() }}`,
  `{{ hasOwnProperty.constructor("${run}")() }}`,
  `{{ __defineGetter__.constructor("${run}")() }}`,
  `{{ range.apply.constructor("${run}")() }}`,
  `{{ range.call(null, 3) }}{{ range.bind(null)() }}`,
  `{% set f = range.constructor %}{{ f("${run}")() }}`,
  `{% set f = "".constructor.constructor("${run}") %}{{ f() }}`,
  `{% macro m() %}x{% endmacro %}{{ m.constructor("${run}")() }}`,
  `{% macro m() %}{{ caller.constructor("${run}")() }}{% endmacro %}{% call m() %}x{% endcall %}`,
  `{% for i in [1] %}{{ loop.constructor.constructor("${run}")() }}{% endfor %}`,
  `{{ _data.constructor.constructor("${run}")() }}`,
  `{{ (range|list).constructor.constructor("${run}")() }}`,
  `{{ (x|map(attribute="constructor")|first)("${run}")() }}`,
  `{{ items|map(attribute="constructor")|first }}`,
  `{{ x | constructor }}`,
  `{{ "${run}" | constructor }}`,
  `{{ x is constructor }}`,
  `{{ "lookup" | __defineGetter__(range) }}`,
  `{{ process.env.${VAR} }}{{ global.process }}{{ globalThis }}{{ require }}{{ module }}`,
  `{{ lipsum.__globals__ }}{{ self.__init__.__globals__ }}{{ config }}{{ request }}`,
  `{{ x"&&Function\`globalThis\\x2e__esalertPwned=1\`\`\`&&" }}`,
  `{% set x"&&Function\`globalThis\\x2e__esalertPwned=1\`\`\`&&" = 1 %}`,
  `{% for x"&&Function\`globalThis\\x2e__esalertPwned=1\`\`\`&&" in [1] %}{% endfor %}`,
  `{% macro m(a"&&Function\`globalThis\\x2e__esalertPwned=1\`\`\`&&") %}{% endmacro %}`,
  `{{ x | upper"&&Function\`globalThis\\x2e__esalertPwned=1\`\`\`&&" }}`,
  `{{ "a" | replace(r/a/g, "b") }}`,
];

describe('escapes from templates', () => {
  beforeEach(() => {
    process.env[VAR] = SECRET;
    delete g.__esalertPwned;
  });
  afterEach(() => {
    delete process.env[VAR];
    delete g.__esalertPwned;
  });

  const values = { x: 'value', items: [{ a: 1 }], _data: { a: 1 } };
  it.each(PAYLOADS)('%s', (payload) => {
    for (const render of [
      (t: string) => createJinjaRenderer()(t, values),
      (t: string) => compileJsonTemplate(t).renderText(values),
    ]) {
      let out = '';
      try {
        out = render(payload);
      } catch (err) {
        expect(err).toBeInstanceOf(TemplateError);
      }
      expect(out).not.toContain(SECRET);
      expect(g.__esalertPwned).toBeUndefined();
    }
  });

  it('says why a name or a call is refused', () => {
    const render = createJinjaRenderer();
    expect(() => render('{{ x"y }}', {})).toThrow(/line 1, column 4: .* is not a valid name/);
    expect(() => render('{{ "a" | replace(r/a/, "b") }}', {})).toThrow(/regular expression literals/);
    expect(() => render('{{ range.constructor("x") }}', {})).toThrow(/Unable to call/);
    expect(() => render(`{{ range(${MAX_RANGE + 1}) | length }}`, {})).toThrow(/limited to 100000/);
  });
});

describe('what templates still do', () => {
  const render = createJinjaRenderer();

  it('Python string, list and dict methods, slices, negative indexes, in', () => {
    expect(
      render(
        '{{ s.upper() }}|{{ s.split("-") }}|{{ " a  b ".split() }}|{{ s.replace("-", "_") }}|{{ s.startswith(("x", "kube")) }}|{{ s[:4] }}|{{ s[::-1] }}|{{ l[-1] }}|{{ l[1:] }}|{{ l.index(2) }}|{{ d.get("a") }}|{{ d.get("zz", "none") }}|{{ "a" in d }}|{{ "keys" in d }}|{{ "ub" in s }}|{{ s.title() }}|{{ "  x ".strip() }}',
        { s: 'kube-proxy', l: [1, 2, 3], d: { a: 'A' } },
      ),
    ).toBe(
      "KUBE-PROXY|['kube', 'proxy']|['a', 'b']|kube_proxy|True|kube|yxorp-ebuk|3|[2, 3]|1|A|none|True|False|True|Kube-Proxy|x",
    );
  });

  it('globals, macros and callers, loops over mappings, set blocks', () => {
    expect(
      render(
        '{% set c = cycler("odd", "even") %}{% for i in range(3) %}{{ c.next() }} {% endfor %}{{ c.current }}|{% set j = joiner("/") %}{% for k, v in d.items() %}{{ j() }}{{ k }}={{ v }}{% endfor %}|{% macro b(x) %}[{{ x }}{{ caller() if caller }}]{% endmacro %}{{ b(1) }}{% call b(2) %}!{% endcall %}',
        { d: { a: 1, b: 2 } },
      ),
    ).toBe('odd even odd even|a=1/b=2|[1][2!]');
  });

  it('own data keys that shadow prototype names are data', () => {
    const doc = JSON.parse('{"constructor": "c", "__proto__": "p", "toString": "t"}') as object;
    expect(render('{{ d.constructor }} {{ d["__proto__"] }} {{ d.toString }}', { d: doc })).toBe('c p t');
  });
});

describe('the rule options templates see', () => {
  const raw = {
    name: 'pods',
    owner: 'team-a',
    es_host: 'es.internal',
    es_username: 'elastic',
    es_password: 'es-password-123456',
    es_api_key: 'api-key-abcdef123456',
    dingtalk_access_token: 'dt-token-abcdef123456',
    dingtalk_sign: 'SECabcdef123456',
    wecom_key: 'wecom-key-abcdef123456',
    work_wechat_bot_id: 'bot-id-abcdef123456',
    smtp_auth_file: '/etc/esalert/smtp.yaml',
    http_post_headers: { Authorization: 'Bearer header-token-123456' },
    webhook_url:
      'https://hooks.example.com/hook/0b8c1d2e-3f4a-5b6c-7d8e-9f0a1b2c3d4e?token=query-token-123456',
    kibana_url: 'https://kibana.example.com',
    alert: [
      {
        post: {
          http_post_url: 'https://u:inline-pass-123456@h.example.com/',
          api_token: 'inline-token-1234',
        },
      },
    ],
    alert_text_type: 'alert_text_jinja',
    alert_text: '{{ _data }} {{ owner }} {{ es_password }} {{ dingtalk_access_token }}',
    alert_subject: '{{ name }} {{ es_api_key }}',
  };
  const secrets = [
    'es.internal',
    'elastic',
    'es-password-123456',
    'api-key-abcdef123456',
    'dt-token-abcdef123456',
    'SECabcdef123456',
    'wecom-key-abcdef123456',
    'bot-id-abcdef123456',
    'smtp.yaml',
    'header-token-123456',
    '0b8c1d2e-3f4a-5b6c-7d8e-9f0a1b2c3d4e',
    'query-token-123456',
    'inline-pass-123456',
    'inline-token-1234',
  ];

  it('{{ _data }} shows no credential, connection setting or webhook token', () => {
    const src = { raw, name: 'pods', matchText: () => '', renderJinja: createJinjaRenderer() };
    const text = alertBody(src, [{ msg: 'm' }]) + alertTitle(src, [{ msg: 'm' }]);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).toContain("'owner': 'team-a'");
    expect(text).toContain("'kibana_url': 'https://kibana.example.com'");
    expect(text).toContain('https://hooks.example.com/hook/***?token=***');
    expect(text).toContain("'msg': 'm'");
  });

  it('alert_text_args and alert_text_kw fall back to the same options', () => {
    const src = {
      raw: {
        ...raw,
        alert_text_type: 'alert_text_only',
        alert_text: '{0}|{1}|{2}',
        alert_text_args: ['owner', 'es_password', 'dingtalk_sign'],
      },
      name: 'pods',
      matchText: () => '',
    };
    expect(alertBody(src, [{}])).toBe('team-a|<MISSING VALUE>|<MISSING VALUE>\n\n');
  });

  it('the view is computed once per rule mapping', () => {
    expect(templateOptions(raw)).toBe(templateOptions(raw));
  });
});
