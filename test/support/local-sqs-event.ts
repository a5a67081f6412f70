// Turns messages from the in-process FIFO queue into the SQS event a Lambda receives, so that tests can feed
// the real apply handler from the local queue (test/faults/support/fault-harness.ts). Types only: no SDK.
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { ReceivedMessage } from '../../infra/local/local-fifo-queue.js';

export function toSqsEvent(
  batch: readonly ReceivedMessage[],
  queueArn = 'arn:aws:sqs:local:000000000000:viewguard-work.fifo',
): SQSEvent {
  return { Records: batch.map((m) => toSqsRecord(m, queueArn)) };
}

export function toSqsRecord(m: ReceivedMessage, queueArn: string): SQSRecord {
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: m.attributes.ApproximateReceiveCount,
      SentTimestamp: m.attributes.SentTimestamp,
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: m.attributes.ApproximateFirstReceiveTimestamp,
      SequenceNumber: m.attributes.SequenceNumber,
      MessageGroupId: m.attributes.MessageGroupId,
      MessageDeduplicationId: m.attributes.MessageDeduplicationId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'local',
  };
}
