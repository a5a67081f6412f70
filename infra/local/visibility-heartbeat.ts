// Keeps the messages a local consumer is still working on invisible, as a long-running SQS consumer does: every
// `everyMs` (default a third of the queue's visibility timeout) each message of the batch not yet deleted or
// failed gets ChangeMessageVisibility to a full timeout from now. A batch of view sets can take longer than the
// 30 s timeout under load; without this the queue hands it to the next receive and it is applied twice. A
// consumer that dies stops beating, so its messages come back one timeout after its last beat, as before.
// (The apply Lambda does not beat: its queue's timeout is 6 × the function's, infra/stack/work-queue.ts.)
import type { LocalFifoQueue } from './local-fifo-queue.js';

/** Calls `beat` every `everyMs` until the returned function is called (setInterval by default). */
export type HeartbeatSchedule = (beat: () => void, everyMs: number) => () => void;

export interface HeartbeatOptions {
  /** Default: a third of the queue's visibility timeout. */
  everyMs?: number;
  /** Replaces setInterval (tests beat by hand and move the queue's clock). */
  schedule?: HeartbeatSchedule;
}

export interface VisibilityHeartbeat {
  /** The consumer is done with this message (deleted or failed): no more extensions for it. */
  release(receiptHandle: string): void;
  stop(): void;
}

const everyInterval: HeartbeatSchedule = (beat, everyMs) => {
  const timer = setInterval(beat, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};

export function keepInvisible(
  queue: LocalFifoQueue,
  receiptHandles: readonly string[],
  options: HeartbeatOptions = {},
): VisibilityHeartbeat {
  const pending = new Set(receiptHandles);
  const timeoutMs = queue.visibilityTimeoutMs;
  const schedule = options.schedule ?? everyInterval;
  const cancel = schedule(
    () => {
      // A receipt that is no longer valid (the message was deleted or its timeout passed) is not extended again.
      for (const handle of pending) if (!queue.changeVisibility(handle, timeoutMs)) pending.delete(handle);
    },
    options.everyMs ?? Math.max(1, Math.floor(timeoutMs / 3)),
  );
  return {
    release: (handle) => pending.delete(handle),
    stop: () => {
      pending.clear();
      cancel();
    },
  };
}
