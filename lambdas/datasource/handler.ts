// EventBridge rule "datasource.*" → validate the envelope again (the contract) → one work item in the
// view's FIFO group → SQS. A failure throws, so the event is retried and nothing is lost.
import { routerHandler } from '../aws/router-handler.js';

export const handler = routerHandler({ category: 'datasource', noun: 'data source' });
