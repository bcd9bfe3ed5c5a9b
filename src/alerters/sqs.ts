/**
 * ElastAlert 2's `sqs`: sends the alert to an Amazon SQS queue as one JSON message
 * {"rule_name", "matches", "text"} (SendMessage over the JSON protocol, signed with Signature
 * Version 4), with ElastAlert 2's cropping of long texts.
 */
import { z } from 'zod';
import type { AlertContent, AlerterDefinition } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { awsClientFor } from './aws-client.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { seconds } from './transport.ts';

const schema = z.object({
  sqs_queue_url: z.string({
    error: 'is required: the queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/alerts',
  }),
  sqs_aws_access_key_id: z.string().optional(),
  sqs_aws_secret_access_key: z.string().optional(),
  sqs_aws_region: z.string().optional(),
  sqs_aws_profile: z.string().optional(),
  sqs_endpoint_url: z.string().optional(),
  sqs_timeout: seconds(10),
});

const TEXT_LIMIT = 800_000;
const BODY_LIMIT = 1_048_576;

/** The message body: rule name, matches and text; the text cropped (then dropped) to fit SQS's 1 MiB. */
export function sqsMessage(content: Pick<AlertContent, 'ruleName' | 'matches' | 'body'>): string {
  const chars = Array.from(content.body);
  const text =
    chars.length > TEXT_LIMIT
      ? `${chars.slice(0, TEXT_LIMIT).join('')}\n*message was cropped according to SQS limits!*`
      : content.body;
  const data = { rule_name: content.ruleName, matches: content.matches, text };
  const body = JSON.stringify(data);
  if (Buffer.byteLength(body) <= BODY_LIMIT) return body;
  return JSON.stringify({ ...data, text: 'Text message omitted due to SQS size limit.' });
}

/** The region in a queue URL like https://sqs.eu-west-1.amazonaws.com/123456789012/alerts. */
export function sqsUrlRegion(url: URL): string | undefined {
  const parts = url.hostname.split('.');
  return parts.length >= 3 && parts[0] === 'sqs' ? parts[1] : undefined;
}

export const sqsAlerter: AlerterDefinition = {
  name: 'sqs',
  aliases: ['elastalert.alerters.sqs.SqsAlerter'],
  summary: 'Amazon SQS: sends the alert as a JSON message to a queue (SigV4-signed SendMessage).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    let queue: URL;
    try {
      queue = new URL(o.sqs_queue_url);
    } catch {
      throw new OptionProblem(
        'sqs_queue_url',
        'must be the queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/alerts',
      );
    }
    const client = awsClientFor(o, 'sqs', deps, {
      service: 'sqs',
      signingName: 'sqs',
      region: o.sqs_aws_region ?? sqsUrlRegion(queue),
      endpoint: o.sqs_endpoint_url ?? `${queue.origin}/`,
    });
    return channelAlerter({
      type: 'sqs',
      service: 'Amazon SQS',
      channel: `sqs:${o.sqs_queue_url}`,
      info: { type: 'sqs', sqs_queue_url: o.sqs_queue_url },
      secrets: () => client.secrets(),
      logger: deps.logger,
      send: (content, signal) =>
        client.call(
          {
            body: JSON.stringify({ QueueUrl: o.sqs_queue_url, MessageBody: sqsMessage(content) }),
            contentType: 'application/x-amz-json-1.0',
            headers: { 'x-amz-target': 'AmazonSQS.SendMessage' },
          },
          signal,
          'SQS SendMessage',
        ),
    });
  },
};
