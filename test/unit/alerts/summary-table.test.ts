/**
 * The aggregation summary table, checked against ElastAlert 2 itself: every expected string below
 * is what ElastAlert 2.31.0's Alerter.get_aggregation_summary_text returns for the same options
 * and matches (texttable 1.7.2 with wcwidth for ascii, prettytable 3.18.0 for html); the wrapping
 * cases are Python 3.13's textwrap.wrap, the widths wcwidth 0.9.4's summed as texttable sums them.
 * Cases named test_* are ElastAlert 2's own (tests/alerts_test.py), with its inputs and the full
 * strings instead of its substring checks.
 */
import { describe, expect, it } from 'vitest';
import { alertBody } from '../../../src/format/alert-text.ts';
import { displayWidth, summaryTable, wrapText } from '../../../src/format/summary-table.ts';
import type { Match } from '../../../src/model/match.ts';
import type { Doc } from '../../../src/model/lookup.ts';

const L = (...lines: string[]) => lines.join('\n');

describe('summaryTable (get_aggregation_summary_text)', () => {
  const cases: [name: string, rule: Doc, matches: Match[], expected: string][] = [
    [
      'test_alert_aggregation_summary_markdown_table',
      {
        name: 'test_rule',
        owner: 'the_owner',
        priority: 2,
        alert_subject: 'A very long subject',
        aggregation: 1,
        summary_table_fields: ['field', 'abc'],
        summary_table_type: 'markdown',
      },
      [
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['field', 'abc', 'count']:",
        '',
        '| field | abc | count |',
        '|-----|-----|-----|',
        '| field_value | abc from match | 3 |',
        '| field_value | cde from match | 2 |',
        '',
        '',
      ),
    ],
    [
      'test_alert_aggregation_summary_html_table',
      {
        name: 'test_rule',
        owner: 'the_owner',
        priority: 2,
        alert_subject: 'A very long subject',
        aggregation: 1,
        summary_table_fields: ['field', 'abc'],
        summary_table_type: 'html',
      },
      [
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
      ],
      L(
        '<table frame="box" rules="all">',
        '    <thead>',
        '        <tr>',
        '            <th style="padding-left: 1em; padding-right: 1em; text-align: center">field</th>',
        '            <th style="padding-left: 1em; padding-right: 1em; text-align: center">abc</th>',
        '            <th style="padding-left: 1em; padding-right: 1em; text-align: center">count</th>',
        '        </tr>',
        '    </thead>',
        '    <tbody>',
        '        <tr>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">field_value</td>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">abc from match</td>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">3</td>',
        '        </tr>',
        '        <tr>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">field_value</td>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">cde from match</td>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">2</td>',
        '        </tr>',
        '    </tbody>',
        '</table>',
      ),
    ],
    [
      'test_alert_aggregation_summary_default_table',
      {
        name: 'test_rule',
        owner: 'the_owner',
        priority: 2,
        alert_subject: 'A very long subject',
        aggregation: 1,
        summary_table_fields: ['field', 'abc'],
      },
      [
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['field', 'abc', 'count']:",
        '',
        '+-------------+----------------+-------+',
        '|    field    |      abc       | count |',
        '+=============+================+=======+',
        '| field_value | abc from match | 3     |',
        '+-------------+----------------+-------+',
        '| field_value | cde from match | 2     |',
        '+-------------+----------------+-------+',
        '',
        '',
      ),
    ],
    [
      'test_alert_aggregation_summary_table_one_row',
      {
        name: 'test_rule',
        owner: 'the_owner',
        priority: 2,
        alert_subject: 'A very long subject',
        aggregation: 1,
        summary_table_fields: ['field', 'abc'],
        summary_table_max_rows: 1,
      },
      [
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['field', 'abc', 'count']:",
        '',
        '+-------------+----------------+-------+',
        '|    field    |      abc       | count |',
        '+=============+================+=======+',
        '| field_value | abc from match | 3     |',
        '+-------------+----------------+-------+',
        '',
        'Showing top 1 rows',
        '',
      ),
    ],
    [
      'test_alert_aggregation_summary_table_suffix_prefix',
      {
        name: 'test_rule',
        owner: 'the_owner',
        priority: 2,
        alert_subject: 'A very long subject',
        aggregation: 1,
        summary_table_fields: ['field', 'abc'],
        summary_prefix: 'This is the prefix',
        summary_suffix: 'This is the suffix',
      },
      [
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
      ],
      L(
        'This is the prefix',
        "Aggregation resulted in the following data for summary_table_fields ==> ['field', 'abc', 'count']:",
        '',
        '+-------------+----------------+-------+',
        '|    field    |      abc       | count |',
        '+=============+================+=======+',
        '| field_value | abc from match | 3     |',
        '+-------------+----------------+-------+',
        '| field_value | cde from match | 2     |',
        '+-------------+----------------+-------+',
        '',
        'This is the suffix',
      ),
    ],
    [
      'test_alert_aggregation_summary_dict_form_with_headers',
      {
        name: 'test_rule',
        owner: 'the_owner',
        priority: 2,
        alert_subject: 'A very long subject',
        aggregation: 1,
        summary_table_fields: [
          { path: 'field', header: 'Hostname' },
          { path: 'abc', header: 'Avg shard size (GB)' },
        ],
        summary_table_type: 'markdown',
      },
      [
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['field', 'abc', 'count']:",
        '',
        '| Hostname | Avg shard size (GB) | count |',
        '|-----|-----|-----|',
        '| field_value | abc from match | 3 |',
        '| field_value | cde from match | 2 |',
        '',
        '',
      ),
    ],
    [
      'test_alert_aggregation_summary_dict_form_header_omitted',
      {
        name: 'test_rule',
        owner: 'the_owner',
        priority: 2,
        alert_subject: 'A very long subject',
        aggregation: 1,
        summary_table_fields: [{ path: 'field' }, { path: 'abc' }],
        summary_table_type: 'markdown',
      },
      [
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['field', 'abc', 'count']:",
        '',
        '| field | abc | count |',
        '|-----|-----|-----|',
        '| field_value | abc from match | 1 |',
        '| field_value | cde from match | 1 |',
        '',
        '',
      ),
    ],
    [
      'test_alert_aggregation_summary_mixed_string_and_dict_forms',
      {
        name: 'test_rule',
        owner: 'the_owner',
        priority: 2,
        alert_subject: 'A very long subject',
        aggregation: 1,
        summary_table_fields: ['field', { path: 'abc', header: 'Custom abc' }],
        summary_table_type: 'markdown',
      },
      [
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'abc from match' },
        { '@timestamp': '2016-01-01', field: 'field_value', abc: 'cde from match' },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['field', 'abc', 'count']:",
        '',
        '| field | Custom abc | count |',
        '|-----|-----|-----|',
        '| field_value | abc from match | 2 |',
        '| field_value | cde from match | 1 |',
        '',
        '',
      ),
    ],
    [
      'ascii: one field written as a string',
      { summary_table_fields: 'pod' },
      [
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-h8r28',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-h8r28',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-sw25f',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'prod',
          pod: 'api-7c9f8d6b5-x2k4p',
          reason: 'BackOff',
          message:
            'Back-off restarting failed container api in pod api-7c9f8d6b5-x2k4p_prod(4f1c2a9e-5b7d-4e8a-9c3f-2d6b1a0e7f54)',
        },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['pod', 'count']:",
        '',
        '+--------------------------+-------+',
        '|           pod            | count |',
        '+==========================+=======+',
        '| indexer-qpbl848f9k-h8r28 | 2     |',
        '+--------------------------+-------+',
        '| indexer-qpbl848f9k-sw25f | 1     |',
        '+--------------------------+-------+',
        '| api-7c9f8d6b5-x2k4p      | 1     |',
        '+--------------------------+-------+',
        '',
        '',
      ),
    ],
    [
      'ascii: missing values and values of every type',
      { summary_table_fields: ['v', 'nested.path'] },
      [
        { v: null },
        { v: 12, nested: { path: 'x' } },
        { v: 1.5 },
        { v: true },
        { v: ['a', 1, null] },
        { v: { k: 'v', n: [true] } },
        { v: "it's" },
        { v: '' },
        { nested: { path: null } },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['v', 'nested.path', 'count']:",
        '',
        '+-------------------------+-------------+-------+',
        '|            v            | nested.path | count |',
        '+=========================+=============+=======+',
        '| None                    | None        | 2     |',
        '+-------------------------+-------------+-------+',
        '| 12                      | x           | 1     |',
        '+-------------------------+-------------+-------+',
        '| 1.5                     | None        | 1     |',
        '+-------------------------+-------------+-------+',
        '| True                    | None        | 1     |',
        '+-------------------------+-------------+-------+',
        "| ['a', 1, None]          | None        | 1     |",
        '+-------------------------+-------------+-------+',
        "| {'k': 'v', 'n': [True]} | None        | 1     |",
        '+-------------------------+-------------+-------+',
        "| it's                    | None        | 1     |",
        '+-------------------------+-------------+-------+',
        '|                         | None        | 1     |',
        '+-------------------------+-------------+-------+',
        '',
        '',
      ),
    ],
    [
      'ascii: a long message wraps at 80 columns',
      { summary_table_fields: ['pod', 'message'] },
      [
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-h8r28',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-h8r28',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-sw25f',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'prod',
          pod: 'api-7c9f8d6b5-x2k4p',
          reason: 'BackOff',
          message:
            'Back-off restarting failed container api in pod api-7c9f8d6b5-x2k4p_prod(4f1c2a9e-5b7d-4e8a-9c3f-2d6b1a0e7f54)',
        },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['pod', 'message', 'count']:",
        '',
        '+--------------------------+-------------------------------------------+-------+',
        '|           pod            |                  message                  | count |',
        '+==========================+===========================================+=======+',
        '| indexer-qpbl848f9k-h8r28 | 0/6 nodes are available: 3 Insufficient   | 2     |',
        '|                          | cpu, 3 node(s) had untolerated taint      |       |',
        '|                          | {node-role.kubernetes.io/control-plane:   |       |',
        '|                          | }. preemption: 0/6 nodes are available: 3 |       |',
        '|                          | No preemption victims found for incoming  |       |',
        '|                          | pod, 3 Preemption is not helpful for      |       |',
        '|                          | scheduling.                               |       |',
        '+--------------------------+-------------------------------------------+-------+',
        '| indexer-qpbl848f9k-sw25f | 0/6 nodes are available: 3 Insufficient   | 1     |',
        '|                          | cpu, 3 node(s) had untolerated taint      |       |',
        '|                          | {node-role.kubernetes.io/control-plane:   |       |',
        '|                          | }. preemption: 0/6 nodes are available: 3 |       |',
        '|                          | No preemption victims found for incoming  |       |',
        '|                          | pod, 3 Preemption is not helpful for      |       |',
        '|                          | scheduling.                               |       |',
        '+--------------------------+-------------------------------------------+-------+',
        '| api-7c9f8d6b5-x2k4p      | Back-off restarting failed container api  | 1     |',
        '|                          | in pod api-7c9f8d6b5-x2k4p_prod(4f1c2a9e- |       |',
        '|                          | 5b7d-4e8a-9c3f-2d6b1a0e7f54)              |       |',
        '+--------------------------+-------------------------------------------+-------+',
        '',
        '',
      ),
    ],
    [
      'ascii: several wide columns share the width',
      { summary_table_fields: ['ns', 'pod', 'reason', 'message'] },
      [
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-h8r28',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-h8r28',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-sw25f',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'prod',
          pod: 'api-7c9f8d6b5-x2k4p',
          reason: 'BackOff',
          message:
            'Back-off restarting failed container api in pod api-7c9f8d6b5-x2k4p_prod(4f1c2a9e-5b7d-4e8a-9c3f-2d6b1a0e7f54)',
        },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['ns', 'pod', 'reason', 'message', 'count']:",
        '',
        '+--------+---------------------+------------------+--------------------+-------+',
        '|   ns   |         pod         |      reason      |      message       | count |',
        '+========+=====================+==================+====================+=======+',
        '| search | indexer-            | FailedScheduling | 0/6 nodes are      | 2     |',
        '|        | qpbl848f9k-h8r28    |                  | available: 3       |       |',
        '|        |                     |                  | Insufficient cpu,  |       |',
        '|        |                     |                  | 3 node(s) had      |       |',
        '|        |                     |                  | untolerated taint  |       |',
        '|        |                     |                  | {node-role.kuberne |       |',
        '|        |                     |                  | tes.io/control-    |       |',
        '|        |                     |                  | plane: }.          |       |',
        '|        |                     |                  | preemption: 0/6    |       |',
        '|        |                     |                  | nodes are          |       |',
        '|        |                     |                  | available: 3 No    |       |',
        '|        |                     |                  | preemption victims |       |',
        '|        |                     |                  | found for incoming |       |',
        '|        |                     |                  | pod, 3 Preemption  |       |',
        '|        |                     |                  | is not helpful for |       |',
        '|        |                     |                  | scheduling.        |       |',
        '+--------+---------------------+------------------+--------------------+-------+',
        '| search | indexer-            | FailedScheduling | 0/6 nodes are      | 1     |',
        '|        | qpbl848f9k-sw25f    |                  | available: 3       |       |',
        '|        |                     |                  | Insufficient cpu,  |       |',
        '|        |                     |                  | 3 node(s) had      |       |',
        '|        |                     |                  | untolerated taint  |       |',
        '|        |                     |                  | {node-role.kuberne |       |',
        '|        |                     |                  | tes.io/control-    |       |',
        '|        |                     |                  | plane: }.          |       |',
        '|        |                     |                  | preemption: 0/6    |       |',
        '|        |                     |                  | nodes are          |       |',
        '|        |                     |                  | available: 3 No    |       |',
        '|        |                     |                  | preemption victims |       |',
        '|        |                     |                  | found for incoming |       |',
        '|        |                     |                  | pod, 3 Preemption  |       |',
        '|        |                     |                  | is not helpful for |       |',
        '|        |                     |                  | scheduling.        |       |',
        '+--------+---------------------+------------------+--------------------+-------+',
        '| prod   | api-7c9f8d6b5-x2k4p | BackOff          | Back-off           | 1     |',
        '|        |                     |                  | restarting failed  |       |',
        '|        |                     |                  | container api in   |       |',
        '|        |                     |                  | pod api-7c9f8d6b5- |       |',
        '|        |                     |                  | x2k4p_prod(4f1c2a9 |       |',
        '|        |                     |                  | e-5b7d-4e8a-9c3f-  |       |',
        '|        |                     |                  | 2d6b1a0e7f54)      |       |',
        '+--------+---------------------+------------------+--------------------+-------+',
        '',
        '',
      ),
    ],
    [
      'ascii: hyphenated names in narrow columns',
      { summary_table_fields: ['a', 'b', 'c', 'd', 'e', 'f'] },
      [
        {
          a: 'indexer-qpbl848f9k-h8r28',
          b: 'kube-state-metrics-7d9f8-abcde',
          c: 'well-known-hyphen-ated-words',
          d: 'a-b-c-d-e-f-g-h-i',
          e: 'x--y--z em--dash words',
          f: 'node-role.kubernetes.io/control-plane',
        },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['a', 'b', 'c', 'd', 'e', 'f', 'count']:",
        '',
        '+-----------+-----------+-----------+-----------+-----------+----------+-------+',
        '|     a     |     b     |     c     |     d     |     e     |    f     | count |',
        '+===========+===========+===========+===========+===========+==========+=======+',
        '| indexer-q | kube-     | well-     | a-b-c-d-  | x--y--z   | node-rol | 1     |',
        '| pbl848f9k | state-met | known-    | e-f-g-h-i | em--dash  | e.kubern |       |',
        '| -h8r28    | rics-     | hyphen-   |           | words     | etes.io/ |       |',
        '|           | 7d9f8-    | ated-     |           |           | control- |       |',
        '|           | abcde     | words     |           |           | plane    |       |',
        '+-----------+-----------+-----------+-----------+-----------+----------+-------+',
        '',
        '',
      ),
    ],
    [
      'ascii: long words fill the rest of a line before breaking',
      { summary_table_fields: ['a', 'b'] },
      [
        {
          a: 'ab cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc de',
          b: 'short words then averyveryveryverylongword-with-hyphens-inside-it and more',
        },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['a', 'b', 'count']:",
        '',
        '+-----------------------------------+----------------------------------+-------+',
        '|                 a                 |                b                 | count |',
        '+===================================+==================================+=======+',
        '| ab cccccccccccccccccccccccccccccc | short words then                 | 1     |',
        '| cccccccccccccccccccccccccccccc de | averyveryveryverylongword-with-  |       |',
        '|                                   | hyphens-inside-it and more       |       |',
        '+-----------------------------------+----------------------------------+-------+',
        '',
        '',
      ),
    ],
    [
      'ascii: lines in a value, blank lines, leading and trailing spaces, tabs',
      { summary_table_fields: ['a', 'b'] },
      [
        { a: 'first line\n\nthird line\n   \nlast', b: '   leading and trailing   ' },
        { a: 'tab\tseparated\tvalues', b: '\tleading tab' },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['a', 'b', 'count']:",
        '',
        '+--------------------------------+----------------------------+-------+',
        '|               a                |             b              | count |',
        '+================================+============================+=======+',
        '| first line                     |    leading and trailing    | 1     |',
        '|                                |                            |       |',
        '| third line                     |                            |       |',
        '|                                |                            |       |',
        '| last                           |                            |       |',
        '+--------------------------------+----------------------------+-------+',
        '| tab     separated       values |         leading tab        | 1     |',
        '+--------------------------------+----------------------------+-------+',
        '',
        '',
      ),
    ],
    [
      'ascii: CJK, emoji and combining characters are measured by display width',
      { summary_table_fields: ['ns', 'message'] },
      [
        { ns: '生产', message: '节点 node-3 内存不足，已驱逐 Pod api-7c9f8d6b5-x2k4p' },
        { ns: 'café', message: 'cafe\u0301 ☕ 😀 ok' },
        { ns: '生产', message: '节点 node-3 内存不足，已驱逐 Pod api-7c9f8d6b5-x2k4p' },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['ns', 'message', 'count']:",
        '',
        '+------+------------------------------------------------------+-------+',
        '|  ns  |                       message                        | count |',
        '+======+======================================================+=======+',
        '| 生产 | 节点 node-3 内存不足，已驱逐 Pod api-7c9f8d6b5-x2k4p | 2     |',
        '+------+------------------------------------------------------+-------+',
        '| café | cafe\u0301 ☕ 😀 ok                                        | 1     |',
        '+------+------------------------------------------------------+-------+',
        '',
        '',
      ),
    ],
    [
      'ascii: long CJK text wraps',
      { summary_table_fields: ['a', 'b'] },
      [
        {
          a: '容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器',
          b: '告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 ',
        },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['a', 'b', 'count']:",
        '',
        '+-----------------------------------+----------------------------------+-------+',
        '|                 a                 |                b                 | count |',
        '+===================================+==================================+=======+',
        '| 容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容器容 | 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 | 1     |',
        '| 器容器容器容器容器容器容器容器容器容器容器容器容器容器 | 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 告警 |       |',
        '|                                   | 告警 告警 告警 告警 告警 告警 告警 告警 |       |',
        '+-----------------------------------+----------------------------------+-------+',
        '',
        '',
      ),
    ],
    [
      'ascii: ideographic and no-break spaces do not break lines',
      { summary_table_fields: ['a', 'b', 'c'] },
      [
        {
          a: 'xxxxxxxxxxxxxxxxxxxx',
          b: 'yyyyyyyyyyyyyyyyyyyy',
          c: 'one\u3000two\u00a0three four five six seven eight nine ten eleven twelve',
        },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['a', 'b', 'c', 'count']:",
        '',
        '+----------------------+----------------------+------------------------+-------+',
        '|          a           |          b           |           c            | count |',
        '+======================+======================+========================+=======+',
        '| xxxxxxxxxxxxxxxxxxxx | yyyyyyyyyyyyyyyyyyyy | one\u3000two\u00a0three four    | 1     |',
        '|                      |                      | five six seven eight   |       |',
        '|                      |                      | nine ten eleven twelve |       |',
        '+----------------------+----------------------+------------------------+-------+',
        '',
        '',
      ),
    ],
    [
      'ascii: a long header is centred and wrapped',
      {
        summary_table_fields: [
          { path: 'a', header: 'A rather long column header that needs wrapping across lines' },
          { path: 'b', header: 'Another header, also long enough to wrap here' },
        ],
      },
      [{ a: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', b: 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' }],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['a', 'b', 'count']:",
        '',
        '+-----------------------------------+----------------------------------+-------+',
        '| A rather long column header that  | Another header, also long enough | count |',
        '|    needs wrapping across lines    |           to wrap here           |       |',
        '+===================================+==================================+=======+',
        '| xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx    | yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy   | 1     |',
        '+-----------------------------------+----------------------------------+-------+',
        '',
        '',
      ),
    ],
    [
      'summary_table_max_rows: the most frequent rows, ties in the order first seen',
      { summary_table_fields: ['k'], summary_table_max_rows: 3 },
      [
        { k: 'a' },
        { k: 'b' },
        { k: 'c' },
        { k: 'b' },
        { k: 'd' },
        { k: 'c' },
        { k: 'e' },
        { k: 'd' },
        { k: 'd' },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['k', 'count']:",
        '',
        '+---+-------+',
        '| k | count |',
        '+===+=======+',
        '| d | 3     |',
        '+---+-------+',
        '| b | 2     |',
        '+---+-------+',
        '| c | 2     |',
        '+---+-------+',
        '',
        'Showing top 3 rows',
        '',
      ),
    ],
    [
      'summary_table_max_rows larger than the rows',
      { summary_table_fields: ['k'], summary_table_max_rows: 10 },
      [{ k: 'a' }, { k: 'b' }, { k: 'b' }, { k: 'a' }],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['k', 'count']:",
        '',
        '+---+-------+',
        '| k | count |',
        '+===+=======+',
        '| a | 2     |',
        '+---+-------+',
        '| b | 2     |',
        '+---+-------+',
        '',
        'Showing top 10 rows',
        '',
      ),
    ],
    [
      'summary_table_max_rows: 0',
      { summary_table_fields: ['k'], summary_table_max_rows: 0 },
      [{ k: 'a' }],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['k', 'count']:",
        '',
        '+---+-------+',
        '| k | count |',
        '+===+=======+',
        '+---+-------+',
        '',
        'Showing top 0 rows',
        '',
      ),
    ],
    [
      'markdown: max rows, prefix and suffix',
      {
        summary_table_fields: ['ns', 'pod'],
        summary_table_type: 'markdown',
        summary_table_max_rows: 2,
        summary_prefix: 'Prefix line',
        summary_suffix: 'Suffix line\n',
      },
      [
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-h8r28',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-h8r28',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-sw25f',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'prod',
          pod: 'api-7c9f8d6b5-x2k4p',
          reason: 'BackOff',
          message:
            'Back-off restarting failed container api in pod api-7c9f8d6b5-x2k4p_prod(4f1c2a9e-5b7d-4e8a-9c3f-2d6b1a0e7f54)',
        },
      ],
      L(
        'Prefix line',
        "Aggregation resulted in the following data for summary_table_fields ==> ['ns', 'pod', 'count']:",
        '',
        '| ns | pod | count |',
        '|-----|-----|-----|',
        '| search | indexer-qpbl848f9k-h8r28 | 2 |',
        '| search | indexer-qpbl848f9k-sw25f | 1 |',
        '',
        'Showing top 2 rows',
        'Suffix line',
        '',
      ),
    ],
    [
      'markdown: missing values',
      { summary_table_fields: ['ns', 'x'], summary_table_type: 'markdown' },
      [
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-h8r28',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-h8r28',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'search',
          pod: 'indexer-qpbl848f9k-sw25f',
          reason: 'FailedScheduling',
          message:
            '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
        },
        {
          ns: 'prod',
          pod: 'api-7c9f8d6b5-x2k4p',
          reason: 'BackOff',
          message:
            'Back-off restarting failed container api in pod api-7c9f8d6b5-x2k4p_prod(4f1c2a9e-5b7d-4e8a-9c3f-2d6b1a0e7f54)',
        },
      ],
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['ns', 'x', 'count']:",
        '',
        '| ns | x | count |',
        '|-----|-----|-----|',
        '| search | None | 3 |',
        '| prod | None | 1 |',
        '',
        '',
      ),
    ],
    [
      'html: prefix replaced, max rows and suffix after the table, escaping',
      {
        summary_table_fields: ['a', { path: 'b', header: 'B & <b>' }],
        summary_table_type: 'html',
        summary_table_max_rows: 2,
        summary_prefix: 'dropped',
        summary_suffix: '\nSUFFIX',
      },
      [
        { a: 'x<y & "q" \'s\'', b: 'l1\nl2' },
        { a: 'x', b: null },
        { a: 'x', b: null },
        { a: 1.5, b: ['a'] },
      ],
      L(
        '<table frame="box" rules="all">',
        '    <thead>',
        '        <tr>',
        '            <th style="padding-left: 1em; padding-right: 1em; text-align: center">a</th>',
        '            <th style="padding-left: 1em; padding-right: 1em; text-align: center">B &amp; &lt;b&gt;</th>',
        '            <th style="padding-left: 1em; padding-right: 1em; text-align: center">count</th>',
        '        </tr>',
        '    </thead>',
        '    <tbody>',
        '        <tr>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">x</td>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">None</td>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">2</td>',
        '        </tr>',
        '        <tr>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">x&lt;y &amp; &quot;q&quot; &#x27;s&#x27;</td>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">l1<br>l2</td>',
        '            <td style="padding-left: 1em; padding-right: 1em; text-align: center; vertical-align: top">1</td>',
        '        </tr>',
        '    </tbody>',
        '</table>Showing top 2 rows',
        '',
        'SUFFIX',
      ),
    ],
    [
      'prefix and suffix around an ascii table with max rows',
      { summary_table_fields: ['k'], summary_prefix: 'P', summary_suffix: 'S', summary_table_max_rows: 1 },
      [{ k: 'a' }, { k: 'b' }, { k: 'b' }],
      L(
        'P',
        "Aggregation resulted in the following data for summary_table_fields ==> ['k', 'count']:",
        '',
        '+---+-------+',
        '| k | count |',
        '+===+=======+',
        '| b | 2     |',
        '+---+-------+',
        '',
        'Showing top 1 rows',
        'S',
      ),
    ],
  ];
  it.each(cases)('%s', (_, rule, matches, expected) => {
    expect(summaryTable(rule, matches)).toBe(expected);
  });

  it('is empty without summary_table_fields', () => {
    expect(summaryTable({ summary_prefix: 'P', summary_table_max_rows: 1 }, [{ a: 1 }])).toBe('');
  });
});

describe("wrapText (Python's textwrap.wrap)", () => {
  const cases: [text: string, width: number, expected: string[]][] = [
    [
      'Hello there -- you goof-ball, use the -b option!',
      10,
      ['Hello', 'there --', 'you goof-', 'ball, use', 'the -b', 'option!'],
    ],
    ['indexer-qpbl848f9k-h8r28', 9, ['indexer-q', 'pbl848f9k', '-h8r28']],
    ['indexer-qpbl848f9k-h8r28', 12, ['indexer-qpbl', '848f9k-h8r28']],
    ['kube-state-metrics-7d9f8-abcde', 9, ['kube-', 'state-met', 'rics-', '7d9f8-', 'abcde']],
    ['well-known-hyphen-ated-words', 9, ['well-', 'known-', 'hyphen-', 'ated-', 'words']],
    ['a-b-c-d-e-f-g-h-i', 9, ['a-b-c-d-', 'e-f-g-h-i']],
    ['x--y--z em--dash words', 9, ['x--y--z', 'em--dash', 'words']],
    ['node-role.kubernetes.io/control-plane', 8, ['node-rol', 'e.kubern', 'etes.io/', 'control-', 'plane']],
    ['ab ccccccccccccccccccccccccc de', 10, ['ab ccccccc', 'cccccccccc', 'cccccccc', 'de']],
    ['   leading spaces kept on the first line', 12, ['   leading', 'spaces kept', 'on the first', 'line']],
    ['trailing spaces dropped      ', 12, ['trailing', 'spaces', 'dropped']],
    ['tab\tseparated\tvalues', 12, ['tab', 'separated', 'values']],
    [
      'Back-off restarting failed container api in pod api-7c9f8d6b5-x2k4p_prod(4f1c2a9e-5b7d)',
      18,
      [
        'Back-off',
        'restarting failed',
        'container api in',
        'pod api-7c9f8d6b5-',
        'x2k4p_prod(4f1c2a9',
        'e-5b7d)',
      ],
    ],
    ['---- dashes only ----', 4, ['----', 'dash', 'es', 'only', '----']],
    [
      '容器容器容器容器容器容器容器容器容器容器容器容器',
      10,
      ['容器容器容器容器容器', '容器容器容器容器容器', '容器容器'],
    ],
    ['café ☕ 😀 ok 😀😀😀😀😀😀', 5, ['café', '☕ 😀', 'ok 😀😀', '😀😀😀😀']],
    ['one\u3000two\u00a0three four', 8, ['one\u3000two\u00a0', 'three', 'four']],
    ['über-große wörter-mit-bindestrich', 8, ['über-', 'große', 'wörter-', 'mit-bind', 'estrich']],
    ['abcd-efghijklmnop', 5, ['abcd-', 'efghi', 'jklmn', 'op']],
    ['ab cd-efghijklmnop', 5, ['ab', 'cd-ef', 'ghijk', 'lmnop']],
    ['x', 1, ['x']],
    ['', 5, []],
  ];
  it.each(cases)('%j at %i', (text, width, expected) => {
    expect(wrapText(text, width)).toEqual(expected);
  });
});

describe('displayWidth (wcwidth)', () => {
  it.each([
    ['plain ASCII', 'node-3', 6],
    ['CJK ideographs and fullwidth punctuation', '节点，内存', 10],
    ['Hangul syllables', '가나', 4],
    ['emoji', '😀☕', 4],
    ['combining marks and zero-width characters', 'cafe\u0301\u200b\ufe0f', 4],
    ['halfwidth katakana and the soft hyphen', 'ｱ\u00ad', 2],
    ['control characters', 'a\u0007\u007fb', 2],
  ])('%s', (_, text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

/**
 * Untrusted text of any size: wrapping is linear (a 300 KB word is cut in place), cells and body
 * fields are capped with a marker that says how much was left out. Timing is in
 * bench/format-bench.ts; these check the output.
 */
describe('a 300 KB single-token cell', () => {
  const CELL = 'x'.repeat(300_000);

  it('wrapText cuts a 300 KB word into lines of the width, losing nothing', () => {
    const lines = wrapText(CELL, 37);
    expect(lines).toHaveLength(Math.ceil(300_000 / 37));
    expect(lines.slice(0, -1).every((l) => l === 'x'.repeat(37))).toBe(true);
    expect(lines.join('')).toBe(CELL);
    const hyphenated = wrapText(`${'ab-'.repeat(100_000)}`, 10);
    expect(hyphenated.join('')).toBe('ab-'.repeat(100_000));
    expect(hyphenated[0]).toBe('ab-ab-ab-');
  });

  it('the ascii table shows the first 2000 characters and says how many were left out', () => {
    const table = summaryTable({ summary_table_fields: ['m'] }, [{ m: CELL }]);
    const full = (cells: [string, string]) => `| ${cells[0].padEnd(68)} | ${cells[1].padEnd(5)} |`;
    const rule = (ch: string) => `+${ch.repeat(70)}+${ch.repeat(7)}+`;
    expect(table).toBe(
      L(
        "Aggregation resulted in the following data for summary_table_fields ==> ['m', 'count']:",
        '',
        rule('-'),
        `| ${' '.repeat(33)}m${' '.repeat(34)} | count |`,
        rule('='),
        full(['x'.repeat(68), '1']),
        ...Array.from({ length: 28 }, () => full(['x'.repeat(68), ''])),
        full([`${'x'.repeat(28)}…(truncated, 298000 more characters)`, '']),
        rule('-'),
        '',
        '',
      ),
    );
  });

  it('markdown and html cells and the fields of the body are capped the same way', () => {
    const marker = '…(truncated, 298000 more characters)';
    for (const type of ['markdown', 'html']) {
      const text = summaryTable({ summary_table_fields: ['m'], summary_table_type: type }, [{ m: CELL }]);
      expect(text).toContain(`${'x'.repeat(2000)}${marker}`);
      expect(text.length).toBeLessThan(3000);
    }
    const body = alertBody({ raw: { name: 'r' }, name: 'r', matchText: () => '' }, [{ m: CELL }]);
    expect(body).toBe(`r\n\nm: ${'x'.repeat(10_000)}…(truncated, 290000 more characters)\n`);
  });
});
