// The event bus port: EventBridge PutEvents in AWS, the local router in one process.
export interface BusEntry {
  source: string;
  detailType: string; // the CloudEvents type, e.g. "policy.updated"
  detail: string; // JSON of the whole CloudEvents envelope
}

export interface PutResult {
  failed: { index: number; code: string; message: string }[];
}

export interface EventBus {
  put(entries: BusEntry[]): Promise<PutResult>;
}
