// EventBridge rule "user.*" → validate the envelope again (the contract) → one work item in the user's FIFO
// group (an entitlement change: no DDL) → SQS. A failure throws, so the event is retried and nothing is lost.
import { routerHandler } from '../aws/router-handler.js';

export const handler = routerHandler({ category: 'user', noun: 'user' });
