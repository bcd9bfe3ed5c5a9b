/**
 * The post2 alerter against a real HTTP receiver, on ElastAlert 2's own test vectors
 * (tests/alerters/httppost2_test.py): payload and headers as Jinja templates written as mappings
 * or JSON text, raw fields, all values, the jinja root name, and the errors it reports.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OptionProblem } from '../../../src/alerters/alerter.ts';
import { post2Alerter } from '../../../src/alerters/post2.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';

let rx: Receiver;
let rx2: Receiver;
beforeAll(async () => {
  rx = await startReceiver({ status: 200, body: '' });
  rx2 = await startReceiver({ status: 200, body: '' });
});
afterAll(async () => {
  await rx.close();
  await rx2.close();
});
beforeEach(() => {
  rx.received.length = 0;
  rx2.received.length = 0;
});

const DEFAULT_HEADERS = { 'content-type': 'application/json', accept: 'application/json;charset=utf-8' };

async function post(
  options: Doc,
  match: Doc = { '@timestamp': '2017-01-01T00:00:00', somefield: 'foobarbaz' },
) {
  const rule = { name: 'Test HTTP Post 2', type: 'any', http_post2_url: `${rx.url}/hook`, ...options };
  const alerter = post2Alerter.create(rule, deps(captureLog()));
  const outcome = await alerter.send(alertContent(rule, [match]), signal());
  return { outcome, request: rx.received.at(-1) };
}

describe("ElastAlert 2's payload vectors", () => {
  it.each<[string, Doc, Doc, Doc]>([
    ['static payload', { http_post2_payload: { posted_name: 'toto' } }, {}, { posted_name: 'toto' }],
    [
      'payload as JSON text',
      { http_post2_payload: '{\n  "posted_name": "toto"\n}\n' },
      {},
      { posted_name: 'toto' },
    ],
    [
      'raw fields',
      {
        http_post2_payload: { posted_name: 'toto' },
        http_post2_raw_fields: { posted_raw_field: 'somefield' },
      },
      {},
      { posted_name: 'toto', posted_raw_field: 'foobarbaz' },
    ],
    [
      'raw fields overwrite rendered keys',
      {
        http_post2_payload: { posted_name: 'toto', overwrite_field: 'tata' },
        http_post2_raw_fields: { overwrite_field: 'somefield' },
      },
      {},
      { posted_name: 'toto', overwrite_field: 'foobarbaz' },
    ],
    [
      'templated key',
      { http_post2_payload: { 'args_{{some_field}}': 'tata' } },
      { some_field: 'toto' },
      { args_toto: 'tata' },
    ],
    [
      'templated key, field missing',
      { http_post2_payload: { 'args_{{some_field1}}': 'tata' } },
      { some_field: 'toto' },
      { args_: 'tata' },
    ],
    [
      'templated keys through the jinja root, with tabs',
      {
        jinja_root_name: '_data',
        http_post2_payload:
          '{\n  "args_{{_data[\'key1\']}}": "tata",\n  "args_{{_data["key2"]}}": "toto"\n}\n',
      },
      { key1: 'ta\tta', key2: 'to\tto' },
      { 'args_ta\tta': 'tata', 'args_to\tto': 'toto' },
    ],
    [
      'nested keys',
      { http_post2_payload: { key: { nested_key: 'some_value_{{some_field}}' } } },
      { some_field: 'toto' },
      { key: { nested_key: 'some_value_toto' } },
    ],
    ['null value', { http_post2_payload: { key: null } }, { some_field: 'toto' }, { key: null }],
    [
      'value from a field',
      { http_post2_payload: { posted_name: 'toto', args_name: '{{some_field}}' } },
      { some_field: 'foobarbaz' },
      { posted_name: 'toto', args_name: 'foobarbaz' },
    ],
    [
      'value through the jinja root',
      { http_post2_payload: { args_name: "{{_data['some_field']}}" } },
      { some_field: 'foobarbaz' },
      { args_name: 'foobarbaz' },
    ],
    [
      'value from a nested field',
      { http_post2_payload: { posted_name: '{{ toto.tata }}' } },
      { toto: { tata: 'titi' } },
      { posted_name: 'titi' },
    ],
    [
      'all values',
      { http_post2_payload: { posted_name: 'toto' }, http_post2_all_values: true },
      { '@timestamp': '2017-01-01T00:00:00', somefield: 'foobarbaz' },
      { posted_name: 'toto', '@timestamp': '2017-01-01T00:00:00', somefield: 'foobarbaz' },
    ],
    [
      'no payload: the whole match',
      {},
      { '@timestamp': '2017-01-01T00:00:00', somefield: 'foobarbaz' },
      { '@timestamp': '2017-01-01T00:00:00', somefield: 'foobarbaz' },
    ],
  ])('%s', async (_name, options, match, expected) => {
    const { outcome, request } = await post(options, Object.keys(match).length ? match : undefined);
    expect(outcome).toEqual({ ok: true });
    expect(request!.json).toEqual(expected);
    expect(request!.headers).toMatchObject(DEFAULT_HEADERS);
  });

  it('values with quotes, newlines and backslashes are escaped into valid JSON', async () => {
    const message = 'said "hi"\nC:\\path\t{"x": 1}';
    const { request } = await post({ http_post2_payload: { text: 'msg: {{ message }}' } }, { message });
    expect(request!.json).toEqual({ text: `msg: ${message}` });
  });
});

describe('headers', () => {
  it('rendered from the match, added to the defaults', async () => {
    const { request } = await post(
      {
        http_post2_headers: { header_name: '{{titi}}', 'X-Static': 'titi' },
        http_post2_payload: { posted_name: 'toto' },
      },
      { titi: 'foobarbaz' },
    );
    expect(request!.headers).toMatchObject({
      ...DEFAULT_HEADERS,
      header_name: 'foobarbaz',
      'x-static': 'titi',
    });
  });

  it('headers as JSON text', async () => {
    const { request } = await post(
      { http_post2_headers: '{"header_name": "{{titi}}"}' },
      { titi: 'foobarbaz' },
    );
    expect(request!.headers.header_name).toBe('foobarbaz');
  });

  it.each([
    ['a list', ['test1', 'test2']],
    ['a mapping', { test: 'val' }],
    ['null', null],
  ])('a header value that is %s is refused, nothing sent', async (_name, value) => {
    const { outcome, request } = await post({ http_post2_headers: { header_name: value } });
    expect(request).toBeUndefined();
    expect(outcome).toEqual({
      ok: false,
      retryable: false,
      reason: 'http_post2_headers: the value of header header_name must be a string',
    });
  });
});

describe('errors', () => {
  it('a payload that renders to invalid JSON is a permanent failure naming the option', async () => {
    const { outcome, request } = await post({ http_post2_payload: 'this is invalid json\n' });
    expect(request).toBeUndefined();
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok)
      expect(outcome.reason).toMatch(/^http_post2_payload: the rendered text is not valid JSON/);
  });

  it('a template syntax error is refused at load', () => {
    const create = () =>
      post2Alerter.create(
        { name: 'r', http_post2_url: rx.url, http_post2_payload: { posted_name: '{% for %}' } },
        deps(captureLog()),
      );
    expect(create).toThrow(OptionProblem);
    expect(create).toThrow(/^is not a valid Jinja template: /);
  });

  it('http_post2_url is required', () => {
    expect(() => post2Alerter.create({ name: 'r' }, deps(captureLog()))).toThrow('is required');
  });

  it('HTTP 500 retryable, 400 permanent, the URL token masked', async () => {
    const url = `${rx.url}/hook?token=abcdefgh12345678`;
    rx.script({ status: 500, body: 'down' });
    const a = post2Alerter.create({ name: 'r', http_post2_url: url }, deps(captureLog()));
    const failed = await a.send(alertContent({ name: 'r' }, [{ a: 1 }]), signal());
    expect(failed).toMatchObject({ ok: false, retryable: true });
    if (!failed.ok) expect(failed.reason).not.toContain('abcdefgh12345678');
    rx.script({ status: 400, body: 'bad' });
    expect(await a.send(alertContent({ name: 'r' }, [{ a: 1 }]), signal())).toMatchObject({
      ok: false,
      retryable: false,
    });
    expect(a.info()).toEqual({ type: 'http_post2', http_post2_webhook_url: [`${rx.url}/hook?token=***`] });
  });
});

it('one POST per match per URL', async () => {
  const rule = {
    name: 'r',
    http_post2_url: [`${rx.url}/a`, `${rx2.url}/b`],
    http_post2_payload: { n: '{{ n }}' },
  };
  const a = post2Alerter.create(rule, deps(captureLog()));
  expect(await a.send(alertContent(rule, [{ n: 1 }, { n: 2 }]), signal())).toEqual({ ok: true });
  expect(rx.received.map((r) => r.json)).toEqual([{ n: '1' }, { n: '2' }]);
  expect(rx2.received.map((r) => r.json)).toEqual([{ n: '1' }, { n: '2' }]);
});
