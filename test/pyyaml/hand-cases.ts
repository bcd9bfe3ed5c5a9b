/**
 * Hand-written YAML in the shapes public ElastAlert 2 rule files take (written for this test, not
 * copied): the awkward spots migrations hit, each with what PyYAML does with it, so the list keeps
 * testing what it says it tests.
 */
import type { YamlCase } from './generated-cases.ts';

export interface HandCase extends YamlCase {
  pyyaml: 'loads' | 'refuses';
}

const RULE_HEAD = 'name: pod restarts\ntype: any\nindex: logs-*\nalert: [debug]\n';
const LONG = 'x'.repeat(5000);

export const HAND_CASES: HandCase[] = [
  // multi-line flow scalars: continuation lines at column 0, as real rule files write alert texts
  {
    name: 'double-quoted alert_text continued at column 0',
    pyyaml: 'loads',
    text: `${RULE_HEAD}alert_text: "Pod {0} in {1}\nrestarted {2} times\n\nsee the runbook"\nalert_text_args: [pod, namespace, count]\n`,
  },
  {
    name: 'double-quoted HTML alert_text continued at deeper and shallower columns',
    pyyaml: 'loads',
    text: `${RULE_HEAD}email_format: html\nalert_text: "<h2>Alert</h2>\n    <p>Host: {0}</p>\n  <ul>\n        <li>{1}</li>\n</ul>"\nalert_text_args: [host.name, message]\n`,
  },
  {
    name: 'single-quoted text continued at column 0 with a doubled quote',
    pyyaml: 'loads',
    text: `${RULE_HEAD}alert_subject: 'it''s down:\n{0} on\n   {1}'\n`,
  },
  {
    name: 'quoted text continued at column 0 inside a nested mapping',
    pyyaml: 'loads',
    text: `${RULE_HEAD}alert:\n  - post2:\n      http_post2_payload:\n        text: "service {0}\nis failing"\n`,
  },
  {
    name: 'quoted text continued at column 0 inside a list',
    pyyaml: 'loads',
    text: `${RULE_HEAD}filter:\n  - query:\n      query_string:\n        query: "status:500 AND\nNOT path:\\"/health\\""\n`,
  },
  {
    name: 'flow mapping spread over lines at column 0',
    pyyaml: 'loads',
    text: `${RULE_HEAD}http_post_headers: {Content-Type: application/json,\nX-Team: ops}\n`,
  },
  {
    name: 'flow list spread over lines at column 0 with a comment',
    pyyaml: 'loads',
    text: `${RULE_HEAD}include: ["@timestamp", # always\nhost.name,\n  message]\n`,
  },
  {
    name: 'plain scalar continued on deeper lines',
    pyyaml: 'loads',
    text: `${RULE_HEAD}description: checks the pods\n  of every namespace\n   and node\n`,
  },
  {
    name: 'escaped line break followed by a blank line',
    pyyaml: 'loads',
    text: `${RULE_HEAD}alert_text: "first\\\n\n  second"\n`,
  },
  {
    name: 'tab inside a quoted scalar',
    pyyaml: 'loads',
    text: `${RULE_HEAD}alert_text: "host:\t{0}\nlevel:\t{1}"\n`,
  },
  // duplicate keys: the last one wins
  {
    name: 'duplicate key',
    pyyaml: 'loads',
    text: `${RULE_HEAD}realert:\n  minutes: 5\nrealert:\n  minutes: 0\n`,
  },
  {
    name: 'duplicate key in a nested mapping',
    pyyaml: 'loads',
    text: `${RULE_HEAD}timeframe:\n  minutes: 5\n  minutes: 10\n`,
  },
  // comments and indicators inside values
  {
    name: 'colour after ": " is a comment',
    pyyaml: 'loads',
    text: `${RULE_HEAD}ms_teams_theme_color: #ff0000\n`,
  },
  {
    name: 'slashes and CJK text in a plain scalar',
    pyyaml: 'loads',
    text: `name: Nginx_err  //规则名称\ntype: any\nindex: nginx-*\naggregation:\n seconds: 1    //告警频率\nalert: [debug]\n`,
  },
  {
    name: 'space before the colon of a key',
    pyyaml: 'loads',
    text: `${RULE_HEAD}filter:\n- term:\n    alert.signature_id : "2100498"\n`,
  },
  {
    name: 'hash without a space before it',
    pyyaml: 'loads',
    text: `${RULE_HEAD}slack_channel_override: ops#alerts\n`,
  },
  { name: 'emoji shortcode quoted', pyyaml: 'loads', text: `${RULE_HEAD}slack_emoji_override: ":ghost:"\n` },
  {
    name: 'emoji shortcode unquoted ends in a colon',
    pyyaml: 'refuses',
    text: `${RULE_HEAD}slack_emoji_override: :ghost:\n`,
  },
  {
    name: 'unquoted value starting with a colon',
    pyyaml: 'loads',
    text: `${RULE_HEAD}slack_emoji_override: :ghost\n`,
  },
  // numbers, booleans, nulls and dates the PyYAML way
  {
    name: 'version numbers: float vs string',
    pyyaml: 'loads',
    text: `${RULE_HEAD}kibana_discover_version: 7.3\nopensearch_discover_version: '2.11'\nother: 8.10.2\n`,
  },
  {
    name: 'YAML 1.1 numbers',
    pyyaml: 'loads',
    text: 'a: 0o17\nb: 017\nc: 0x1F\nd: 1_000\ne: 1:30\nf: 1e3\ng: 1.0e+3\nh: .5\ni: -.5\nj: 08\nk: 190:20:30.15\nl: .inf\nm: -.Inf\nn: .NaN\n',
  },
  {
    name: 'YAML 1.1 booleans and nulls',
    pyyaml: 'loads',
    text: 'a: yes\nb: No\nc: ON\nd: off\ne: y\nf: n\ng: True\nh: ~\ni: null\nj:\nk: None\n',
  },
  {
    name: 'dates and times',
    pyyaml: 'loads',
    text: 'a: 2024-01-01\nb: 2024-1-1\nc: 2024-01-01 10:00:00\nd: 2024-01-01T10:00:00.123456789+08:00\ne: 2001-12-14t21:59:43.10-05:00\nf: 2024-01-01T10:00:00Z\n',
  },
  { name: 'impossible date', pyyaml: 'refuses', text: 'a: 2023-02-29\n' },
  { name: 'integer beyond 2^53', pyyaml: 'loads', text: 'a: 12345678901234567890\nb: 9007199254740993\n' },
  { name: 'priority with a leading zero', pyyaml: 'loads', text: `${RULE_HEAD}priority: 08\nowner: 0700\n` },
  // explicit tags ElastAlert 2 users write
  {
    name: 'explicit core tags',
    pyyaml: 'loads',
    text: `${RULE_HEAD}num_events: !!int "10"\nowner: !!str 123\nis_enabled: !!bool "yes"\nspike_height: !!float 2\ndescription: !!null anything\nstamp: !!timestamp 2024-01-01\n`,
  },
  {
    name: 'binary and set',
    pyyaml: 'loads',
    text: 'a: !!binary aGVsbG8=\nb: !!set {x, y}\nc: !!omap [x: 1, y: 2]\n',
  },
  {
    name: 'simple python tags',
    pyyaml: 'loads',
    text: 'a: !!python/str 42\nb: !!python/tuple [1, 2]\nc: !!python/none x\nd: !!python/long 7\n',
  },
  { name: 'non-specific tag resolves like a plain scalar', pyyaml: 'loads', text: 'a: ! 123\nb: ! "123"\n' },
  { name: 'unknown local tag', pyyaml: 'refuses', text: 'a: !vault secret\n' },
  { name: 'python object tag', pyyaml: 'refuses', text: 'a: !!python/object:os.system [ls]\n' },
  { name: 'bad explicit int', pyyaml: 'refuses', text: 'a: !!int "ten"\n' },
  // anchors, aliases, merge keys
  {
    name: 'shared settings merged into rules',
    pyyaml: 'loads',
    text: `defaults: &defaults\n  realert: {minutes: 5}\n  alert: [debug]\n${RULE_HEAD.replace('alert: [debug]\n', '')}<<: *defaults\nrealert: {minutes: 1}\n`,
  },
  {
    name: 'merge of a list of mappings (PyYAML: one-character keys keep the first)',
    pyyaml: 'loads',
    text: 'a: &a {x: 1, long: 1}\nb: &b {x: 2, long: 2}\nc:\n  <<: [*a, *b]\n',
  },
  { name: 'duplicate anchor', pyyaml: 'refuses', text: 'a: &x 1\nb: &x 2\n' },
  { name: 'alias as a key, then a colon', pyyaml: 'loads', text: 'a: &k name\n*k : value\n' },
  { name: 'undefined alias', pyyaml: 'refuses', text: 'a: *nothing\n' },
  // block scalars
  {
    name: 'literal and folded alert texts',
    pyyaml: 'loads',
    text: `${RULE_HEAD}alert_text: |\n  🚨 {0}\n  ━━━━━━━━\n    indented\n\nalert_subject: >-\n  folded\n  text\n\n  para\n`,
  },
  {
    name: 'block scalar at the end of a file without a line break',
    pyyaml: 'loads',
    text: `${RULE_HEAD}alert_text: |\n  last line`,
  },
  { name: 'block scalar with an indentation indicator', pyyaml: 'loads', text: 'a: |2\n   more\n  less\n' },
  // line ends, byte order mark, document markers
  {
    name: 'Windows line ends',
    pyyaml: 'loads',
    text: `${RULE_HEAD}alert_text: "a\r\nb"\r\nrealert:\r\n  minutes: 0\r\n`.replaceAll(/(?<!\r)\n/g, '\r\n'),
  },
  { name: 'old Mac line ends', pyyaml: 'loads', text: 'a: 1\rb: "x\r  y"\r' },
  { name: 'byte order mark', pyyaml: 'loads', text: `\ufeff${RULE_HEAD}` },
  { name: 'byte order mark before a list', pyyaml: 'loads', text: '\ufeff- a\n- b\n' },
  { name: 'document markers and a directive', pyyaml: 'loads', text: `%YAML 1.1\n---\n${RULE_HEAD}...\n` },
  { name: 'two documents', pyyaml: 'refuses', text: `${RULE_HEAD}---\nname: other\n` },
  { name: 'empty file', pyyaml: 'loads', text: '' },
  { name: 'only comments', pyyaml: 'loads', text: '# disabled\n# name: x\n' },
  // tabs
  { name: 'tab as indentation', pyyaml: 'refuses', text: 'realert:\n\tminutes: 5\n' },
  { name: 'tab after a colon', pyyaml: 'refuses', text: 'a:\tb\n' },
  { name: 'tab before a comment', pyyaml: 'refuses', text: 'a: b\t# c\n' },
  // unicode and long lines
  { name: 'escapes', pyyaml: 'loads', text: 'a: "\\x41\\u263a\\U0001F600\\N\\_\\L\\P\\e\\0\\/\\t"\n' },
  { name: 'smart quotes and CJK in quotes', pyyaml: 'loads', text: "a: \"“quoted” 告警\"\nb: '它''s'\n" },
  { name: 'long line', pyyaml: 'loads', text: `${RULE_HEAD}alert_text: "${LONG}"\ndescription: ${LONG}\n` },
  { name: 'key of 1024 characters', pyyaml: 'loads', text: `a:\n  ${'k'.repeat(1024)}: 1\n` },
  { name: 'key of 1025 characters', pyyaml: 'refuses', text: `a:\n  ${'k'.repeat(1025)}: 1\n` },
  { name: 'control character', pyyaml: 'refuses', text: 'a: "bell \x07"\n' },
  // flow collections the PyYAML way
  { name: 'question mark inside a flow value', pyyaml: 'refuses', text: 'a: [b?c]\n' },
  { name: 'dash before a flow indicator', pyyaml: 'loads', text: 'a: [x, -]\n' },
  { name: 'question mark starts a flow key', pyyaml: 'loads', text: 'a: [?b]\n' },
  // environment references stay as written (no environment in this test)
  {
    name: 'environment reference',
    pyyaml: 'loads',
    text: `${RULE_HEAD}es_password: $ES_PASSWORD\nslack_webhook_url: "\${SLACK_URL}"\n`,
  },
];
