/**
 * Discover links in ElastAlert 2's URL shapes: Rison as the prison package writes it, Python's
 * quote() and json.dumps, Kibana's 7.x+ and 5.6/6.x global states, the app state with the rule's
 * filters and query_key phrase filters, OpenSearch's _a/_q split, time offsets, kibana_url and the
 * security tenant; and the options read at load (file:line problems, warnings).
 */
import { describe, expect, it } from 'vitest';
import {
  type DiscoverInput,
  discoverUrls,
  externalUrl,
  kibanaDiscoverUrl,
  opensearchDiscoverUrl,
} from '../../../src/engine/discover-url.ts';
import { kibanaFormat, readDiscoverOptions } from '../../../src/rules/discover-options.ts';
import { pythonFloatRepr, pythonJsonDumps, pythonQuote, rison } from '../../../src/util/rison.ts';
import { parseTimestamp } from '../../../src/util/time.ts';

describe('encodings', () => {
  it.each([
    [{ b: 1, a: 'x' }, '(a:x,b:1)'],
    [{ $state: { store: 'appState' } }, "('$state':(store:appState))"],
    [
      ['_source', 'event.reason', 'logs-*', '-1', '0a', '', "it's!", 'two words'],
      "!(_source,event.reason,'logs-*','-1','0a','','it!'s!!','two words')",
    ],
    [[true, false, null, 30, 0.5, 1e-5, 1e20, -2], '!(!t,!f,!n,30,0.5,1e-05,100000000000000000000,-2)'],
    ['日志-服务器', '日志-服务器'],
    [{ a: [], b: {} }, '(a:!(),b:())'],
  ])('rison %j', (value, expected) => {
    expect(rison(value)).toBe(expected);
  });

  it("Python's float repr, quote() and json.dumps(separators=(',', ':'))", () => {
    expect([0.1, 1.5e-7, 1e300, 123.456].map(pythonFloatRepr)).toEqual([
      '0.1',
      '1.5e-07',
      '1e+300',
      '123.456',
    ]);
    expect(pythonQuote("a b/c~d'(x)!*é")).toBe('a%20b/c~d%27%28x%29%21%2A%C3%A9');
    expect(pythonJsonDumps({ must: [{ term: { msg: 'é"\n' } }, 1.5, null, true] })).toBe(
      '{"must":[{"term":{"msg":"\\u00e9\\"\\n"}},1.5,null,true]}',
    );
  });
});

const T = parseTimestamp('2024-05-14T03:21:09Z')!;
const input = (extra: Partial<DiscoverInput> = {}): DiscoverInput => ({
  filters: [],
  queryKeys: [],
  timeframeMs: undefined,
  matchTime: T,
  ...extra,
});
const kibana = (extra = {}) => ({
  format: 'kibana7' as const,
  appUrl: 'http://kibana:5601/app/discover#/',
  indexPatternId: 'logs-*',
  columns: ['_source'],
  ...extra,
});
/** The decoded state parameters of a link. */
function states(url: string): Record<string, string> {
  const query = url.slice(url.indexOf('?_g=') + 1);
  return Object.fromEntries(query.split('&').map((p) => [p.slice(0, 2), decodeURIComponent(p.slice(3))]));
}

describe('Kibana', () => {
  it('the whole link: quoted Rison global and app states after the app URL', () => {
    expect(kibanaDiscoverUrl(kibana(), input(), {})).toBe(
      'http://kibana:5601/app/discover#/' +
        '?_g=%28filters%3A%21%28%29%2CrefreshInterval%3A%28pause%3A%21t%2Cvalue%3A0%29%2C' +
        'time%3A%28from%3A%272024-05-14T03%3A11%3A09Z%27%2Cto%3A%272024-05-14T03%3A31%3A09Z%27%29%29' +
        '&_a=%28columns%3A%21%28_source%29%2Cfilters%3A%21%28%29%2Cindex%3A%27logs-%2A%27%2Cinterval%3Aauto%29',
    );
  });

  it('the time range: 10 minutes, else the timeframe, else the from/to offsets; milliseconds kept', () => {
    const at = (s: object, i: Partial<DiscoverInput>) =>
      states(kibanaDiscoverUrl(kibana(s), input(i), {}))._g;
    expect(at({}, { timeframeMs: 20 * 60_000 })).toContain(
      "time:(from:'2024-05-14T03:01:09Z',to:'2024-05-14T03:41:09Z')",
    );
    expect(at({ fromMs: 3_600_000 }, { timeframeMs: 20 * 60_000 })).toContain(
      "time:(from:'2024-05-14T02:21:09Z',to:'2024-05-14T03:41:09Z')",
    );
    expect(at({ toMs: 60_000 }, { matchTime: T + 123 })).toContain(
      "time:(from:'2024-05-14T03:11:09.123Z',to:'2024-05-14T03:22:09.123Z')",
    );
  });

  it('Kibana 5.6 and 6.x: the global state with time mode and no filters', () => {
    expect(states(kibanaDiscoverUrl(kibana({ format: 'kibana6' }), input(), {}))._g).toBe(
      "(refreshInterval:(pause:!t,value:0),time:(from:'2024-05-14T03:11:09Z',mode:absolute,to:'2024-05-14T03:31:09Z'))",
    );
  });

  it("the rule's filters as one custom bool filter, its JSON in meta.value", () => {
    const filters = [
      { query_string: { query: 'event.type: Warning AND NOT kind:"Node"' } },
      { term: { level: 30 } },
    ];
    expect(
      states(kibanaDiscoverUrl(kibana({ indexPatternId: 'eventrouter' }), input({ filters }), {}))._a,
    ).toBe(
      '(columns:!(_source),filters:!((' +
        "'$state':(store:appState)," +
        'bool:(must:!((query_string:(query:\'event.type: Warning AND NOT kind:"Node"\')),(term:(level:30)))),' +
        'meta:(alias:filter,disabled:!f,index:eventrouter,key:bool,negate:!f,type:custom,' +
        'value:\'{"must":[{"query_string":{"query":"event.type: Warning AND NOT kind:\\"Node\\""}},{"term":{"level":30}}]}\')' +
        ')),index:eventrouter,interval:auto)',
    );
  });

  it('each query_key field as a phrase filter; empty and one-element values collapsed; missing: does not exist', () => {
    const match = { host: "api-7c9f'x!", app: ['only'], tags: ['a', '', 'b'], empty: [''] };
    const a = states(
      kibanaDiscoverUrl(
        kibana({ indexPatternId: 'ix' }),
        input({ queryKeys: ['host', 'app', 'tags', 'empty'] }),
        match,
      ),
    )._a;
    expect(a).toContain(
      "('$state':(store:appState),meta:(alias:!n,disabled:!f,index:ix,key:host,negate:!f," +
        "params:(query:'api-7c9f!'x!!',type:phrase),type:phrase,value:'api-7c9f!'x!!')," +
        "query:(match:(host:(query:'api-7c9f!'x!!',type:phrase))))",
    );
    expect(a).toContain('params:(query:only,type:phrase)');
    expect(a).toContain("params:(query:!(a,b),type:phrase),type:phrase,value:'[!'a!', !'b!']'");
    expect(a).toContain(
      "('$state':(store:appState),exists:(field:empty),meta:(alias:!n,disabled:!f,index:ix,key:empty,negate:!t,type:exists,value:exists))",
    );
  });

  it('a relative app URL is resolved against kibana_url, and the security tenant joins the query', () => {
    const url = kibanaDiscoverUrl(
      kibana({ appUrl: 'app/discover#/', baseUrl: 'http://kibana:5601/', securityTenant: 'global tenant' }),
      input(),
      {},
    );
    expect(url.startsWith('http://kibana:5601/app/discover?security_tenant=global+tenant#/?_g=(')).toBe(
      false,
    );
    expect(url.startsWith('http://kibana:5601/app/discover?security_tenant=global+tenant#/?_g=%28')).toBe(
      true,
    );
    expect(externalUrl('http://k:5601/app/discover?_g=%28a%3Ab%29', undefined, 'Admin')).toBe(
      'http://k:5601/app/discover?_g=%28a%3Ab%29&security_tenant=Admin',
    );
  });
});

describe('OpenSearch Dashboards', () => {
  const os = (extra = {}) => ({
    appUrl: 'http://osd:5601/app/data-explorer/discover#',
    indexPatternId: '4babf380-c3b1',
    columns: ['_source'],
    ...extra,
  });

  it('_g as Kibana 7, _a with the columns and index pattern, _q with the filters and an empty lucene query', () => {
    const url = opensearchDiscoverUrl(
      os(),
      input({ filters: [{ term: { level: 'error' } }], queryKeys: ['host', 'gone'] }),
      {
        host: 'h1',
      },
    );
    expect(url.startsWith('http://osd:5601/app/data-explorer/discover#?_g=%28filters%3A%21%28%29')).toBe(
      true,
    );
    const s = states(url);
    expect(s._a).toBe(
      "(discover:(columns:!(_source),isDirty:!f,sort:!()),metadata:(indexPattern:'4babf380-c3b1',view:discover))",
    );
    expect(s._q).toBe(
      "(filters:!(('$state':(store:appState),meta:(alias:filter,disabled:!f,index:'4babf380-c3b1',key:query,negate:!f,type:custom," +
        'value:\'{"bool":{"must":[{"term":{"level":"error"}}]}}\'),query:(bool:(must:!((term:(level:error)))))),' +
        "('$state':(store:appState),meta:(alias:!n,disabled:!f,index:'4babf380-c3b1',key:host,negate:!f,params:(query:h1,type:phrase),type:phrase,value:h1),query:(match:(host:(query:h1,type:phrase))))," +
        "('$state':(store:appState),exists:(field:gone),meta:(alias:!n,disabled:!f,index:'4babf380-c3b1',key:gone,negate:!t,type:exists,value:exists,view:discover))),query:(language:lucene,query:''))",
    );
  });

  it('a relative app URL is resolved against opensearch_url; both links can be made for one match', () => {
    const urls = discoverUrls(
      {
        kibana: kibana(),
        opensearch: os({ appUrl: 'app/data-explorer/discover#', baseUrl: 'http://osd:5601/' }),
      },
      input(),
      {},
    );
    expect(Object.keys(urls)).toEqual(['kibana_discover_url', 'opensearch_discover_url']);
    expect(
      String(urls.opensearch_discover_url).startsWith('http://osd:5601/app/data-explorer/discover#?_g='),
    ).toBe(true);
  });
});

describe('options at load', () => {
  const env = (name: string) => ({ KIBANA_HOST: 'kibana.prod' })[name];
  const base = {
    generate_kibana_discover_url: true,
    kibana_discover_app_url: 'http://$KIBANA_HOST:${PORT}/app/discover#/',
    kibana_discover_index_pattern_id: 'ix',
  };

  it('versions: blank and 7.x+ the 7 format, 5.6 and 6.x the 6 format; unparsable ones ElastAlert 2 fails on', () => {
    expect(['', ' ', '0.0', '7.0', '7.17', '8.17', '9.1', '8.17.2'].map(kibanaFormat)).toEqual(
      Array(8).fill('kibana7'),
    );
    expect(['5.6', '6.0', '6.8'].map(kibanaFormat)).toEqual(Array(3).fill('kibana6'));
    expect(['7', '8.x', 'latest'].map(kibanaFormat)).toEqual([undefined, undefined, undefined]);
  });

  it('reads the settings, expanding $VAR and ${VAR} that are set', () => {
    const r = readDiscoverOptions(
      {
        ...base,
        kibana_discover_version: '6.8',
        kibana_discover_from_timedelta: { minutes: 2 },
        kibana_discover_columns: ['message'],
      },
      env,
    );
    expect(r.problems).toEqual([]);
    expect(r.settings.kibana).toEqual({
      format: 'kibana6',
      appUrl: 'http://kibana.prod:${PORT}/app/discover#/',
      indexPatternId: 'ix',
      columns: ['message'],
      fromMs: 120_000,
    });
  });

  it('problems name the option and what to write', () => {
    const problems = (o: object) =>
      readDiscoverOptions({ ...base, ...o }, env).problems.map((p) => `${String(p.path[0])} ${p.message}`);
    expect(problems({ kibana_discover_version: 'latest' })).toEqual([
      expect.stringMatching(/^kibana_discover_version must be Kibana's major and minor version/),
    ]);
    expect(problems({ kibana_discover_version: 7.1 })).toEqual([
      expect.stringMatching(/^kibana_discover_version must be a string.*quote it/),
    ]);
    expect(problems({ kibana_discover_columns: 'message' })).toEqual([
      expect.stringMatching(/^kibana_discover_columns must be a list/),
    ]);
    expect(problems({ kibana_discover_to_timedelta: { minute: 5 } })).toHaveLength(1);
  });

  it('warns (and makes no link) when the app URL or the index pattern id is missing, or shortening is asked for', () => {
    const r = readDiscoverOptions(
      {
        generate_kibana_discover_url: true,
        kibana_discover_app_url: 'x',
        shorten_kibana_discover_url: true,
        generate_opensearch_discover_url: true,
      },
      env,
    );
    expect(r.problems).toEqual([]);
    expect(r.settings).toEqual({});
    expect(r.warnings.map((w) => w.path[0])).toEqual([
      'shorten_kibana_discover_url',
      'generate_kibana_discover_url',
      'generate_opensearch_discover_url',
    ]);
  });

  it('nothing is read when generation is off', () => {
    expect(readDiscoverOptions({ kibana_discover_version: 'latest' }, env)).toEqual({
      settings: {},
      problems: [],
      warnings: [],
    });
  });
});
