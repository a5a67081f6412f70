// The one place an HTTP handler's unexpected exception becomes an answer: logged once with the request id,
// answered as a bare 500 (so the sender retries) whose body carries no message, stack or configuration.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';

export function httpErrorBoundary(logger: Logger): MiddlewareObj<unknown, APIGatewayProxyResult> {
  return {
    name: 'httpErrorBoundary',
    onError: async (request) => {
      logger.error('unhandled error', { error: request.error as Error });
      request.response = {
        statusCode: 500,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'internal error; retry later' }),
      };
    },
  };
}
