// Which records of an SQS FIFO batch fail — decided here once for the apply Lambda and the local consumer, so
// the deployed and local pipelines cannot drift. Records are handled one at a time, in order. A record that
// fails fails every LATER record of ITS message group in the batch, unprocessed: SQS redelivers them after
// it, so the group's order holds. Records of other groups go on: a batch mixes groups, and failing them
// unprocessed would raise their receive counts on every retry of a poison message until they too reached the
// DLQ without ever being tried (test/faults/poison-and-redrive.test.ts). This is the rule of Powertools'
// SqsFifoPartialProcessorAsync with skipGroupOnError, and test/pipeline/fifo-partial-batch.test.ts checks
// the two agree. A record without a group (not a FIFO queue) blocks nothing.

/** The two fields the rule reads; both an SQS event record and a local queue message have them. */
export interface FifoBatchRecord {
  messageId: string;
  attributes: { MessageGroupId?: string };
}

export type FifoRecordResult<R> =
  | { record: R; status: 'processed' }
  | { record: R; status: 'failed'; error: unknown }
  /** Not handled: `blockedBy` (an earlier record of the same group) failed in this batch. */
  | { record: R; status: 'skipped'; blockedBy: string };

/** Handle the batch in order under the FIFO rule; one result per record, in the batch's order. */
export async function processFifoBatch<R extends FifoBatchRecord>(
  records: readonly R[],
  handle: (record: R) => Promise<unknown>,
): Promise<FifoRecordResult<R>[]> {
  // group → the record that failed first in it
  const failedGroups = new Map<string, string>();
  const results: FifoRecordResult<R>[] = [];
  for (const record of records) {
    const group = record.attributes.MessageGroupId;
    const blockedBy = group === undefined ? undefined : failedGroups.get(group);
    if (blockedBy !== undefined) {
      results.push({ record, status: 'skipped', blockedBy });
      continue;
    }
    try {
      await handle(record);
      results.push({ record, status: 'processed' });
    } catch (error) {
      if (group !== undefined) failedGroups.set(group, record.messageId);
      results.push({ record, status: 'failed', error });
    }
  }
  return results;
}

/** Why a record goes back to the queue (the local queue keeps it as the dead letter's reason). */
export function fifoFailureReason(result: Exclude<FifoRecordResult<unknown>, { status: 'processed' }>): string {
  if (result.status === 'skipped')
    return `not processed: an earlier message of its FIFO group failed in this batch (${result.blockedBy})`;
  return result.error instanceof Error ? result.error.message : String(result.error);
}

/** The records SQS must redeliver: the Lambda's `batchItemFailures`. */
export function batchItemFailures(results: readonly FifoRecordResult<FifoBatchRecord>[]): { itemIdentifier: string }[] {
  return results.filter((r) => r.status !== 'processed').map((r) => ({ itemIdentifier: r.record.messageId }));
}
