// EventBridge rule "policy.*" → validate the envelope again (the contract) → read the catalog through the
// Data API → one work item per view the change reaches (stored policy ∪ new policy), each in that view's
// FIFO group — or, from 11 views on, view sets of ≤ 370 views in `policy:<id>` (route-policy.ts) — or one
// item in `policy:<id>` when it reaches none → SQS, 10 per call. A failure throws, so
// the event is retried; items already sent dedup on their ids.
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { METRIC } from '../../shared/contract/metric-names.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { RedshiftDataWarehouse } from '../../shared/adapters/redshift-data-warehouse.js';
import { routerHandler } from '../aws/router-handler.js';
import { recordStatement } from '../aws/statement-metrics.js';
import { integrationSchemasFromEnv, redshiftTargetFromEnv } from '../aws/read-environment.js';

export const handler = routerHandler({
  category: 'policy',
  noun: 'policy',
  catalog: {
    dialect: redshift.withSchemas(integrationSchemasFromEnv(process.env)),
    warehouse: ({ tracer, metrics }) =>
      new RedshiftDataWarehouse({
        client: tracer.captureAWSv3Client(new RedshiftDataClient({})),
        target: redshiftTargetFromEnv(process.env),
        statementName: 'viewguard-policy-router',
        observe: (o) => recordStatement(metrics, o),
      }),
  },
  workItemsMetric: METRIC.policyFanOut,
});
