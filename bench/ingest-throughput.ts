// Section d: the ingest core in-process — signed raw requests (pre-signed, so the sender's HMAC is not
// counted) through size check → signature → JSON → schema → bus entry → an in-memory bus. One request at a
// time: the core is CPU-bound, so the throughput is what one Lambda instance (or the local server) sustains.
import { ingest } from '../shared/events/ingest.js';
import type { BusEntry, EventBus } from '../shared/ports/event-bus.js';
import { EVENT_EXAMPLES } from '../shared/events/event-examples.js';
import { envelope, signedRequest } from './fixtures.js';
import { nowMs, round, roundSummary, summarize, type Summary } from './stats.js';
import type { WebhookEventInput } from '../shared/events/event-types.js';

export interface IngestResult {
  requests: number;
  accepted: number;
  mix: Record<string, number>;
  requestsPerSecond: number;
  latencyMs: Summary;
  meanBodyBytes: number;
}

const SECRET = `whsec_${Buffer.from('bench-secret-bench-secret-bench!').toString('base64')}`;

export async function benchIngest(requests: number): Promise<IngestResult> {
  const examples = Object.values(EVENT_EXAMPLES) as WebhookEventInput[];
  const mix: Record<string, number> = {};
  const built = Array.from({ length: requests + 200 }, (_, i) => {
    // 80 % entitlement changes (the common event), the rest spread over the other examples.
    const ex = i % 5 === 4 ? examples[i % examples.length]! : EVENT_EXAMPLES['user.updated'];
    const data = JSON.parse(JSON.stringify(ex.data)) as unknown;
    const e = envelope(ex.type, ex.subject, data);
    return { type: ex.type, request: signedRequest(e, SECRET) };
  });
  const entries: BusEntry[] = [];
  const bus: EventBus = {
    async put(batch) {
      entries.push(...batch);
      if (entries.length > 1000) entries.length = 0;
      return { failed: [] };
    },
  };
  const deps = { bus, secrets: { get: async () => SECRET }, now: () => new Date() };
  // Warm-up (JIT, zod's first-use compilation) on requests that are not measured.
  for (const { request } of built.slice(requests)) await ingest(request, deps);
  const latencies: number[] = [];
  let accepted = 0;
  let bytes = 0;
  const t0 = nowMs();
  for (const { type, request } of built.slice(0, requests)) {
    const s = nowMs();
    const out = await ingest(request, deps);
    latencies.push(nowMs() - s);
    if (out.status === 202) accepted++;
    else throw new Error(`ingest answered ${out.status} for a valid ${type}: ${JSON.stringify(out.body)}`);
    mix[type] = (mix[type] ?? 0) + 1;
    bytes += Buffer.byteLength(String(request.body));
  }
  const total = nowMs() - t0;
  return {
    requests,
    accepted,
    mix,
    requestsPerSecond: Math.round(requests / (total / 1000)),
    latencyMs: roundSummary(summarize(latencies)),
    meanBodyBytes: round(bytes / requests, 0),
  };
}
