// The work queue port: SQS FIFO in AWS, the in-process FIFO queue locally. One message group per object
// (a view or a user) keeps that object's changes in order; the dedup id makes redelivered events harmless.
export interface WorkMessage {
  groupId: string; // ≤128 chars (see fifo-group-key)
  deduplicationId: string; // ≤128 chars
  body: string; // JSON of a WorkItem
}

export interface WorkQueue {
  send(messages: WorkMessage[]): Promise<void>;
}
