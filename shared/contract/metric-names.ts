// The EMF metrics the handlers publish (namespace METRICS_NAMESPACE, Powertools' default `service` dimension
// only) and the dashboard and alarms read: one list, so a renamed metric cannot leave a dashboard widget or an
// alarm watching nothing.
export const METRIC = {
  // ingest
  webhooksAccepted: 'WebhooksAccepted',
  webhooksRejected: 'WebhooksRejected',
  webhooksFailed: 'WebhooksFailed',
  // the routers
  eventsReceived: 'EventsReceived',
  policyFanOut: 'PolicyFanOut',
  // apply: one per work item
  applied: 'Applied',
  failed: 'Failed',
  skipped: 'Skipped',
  viewsFailedClosed: 'ViewsFailedClosed',
  endToEndLag: 'EndToEndLag',
  // apply and the policy router: Data API statements
  statementsFinished: 'StatementsFinished',
  statementsFailed: 'StatementsFailed',
  statementsAborted: 'StatementsAborted',
  statementLatency: 'StatementLatency',
  dataApiThrottled: 'DataApiThrottled',
  // the scheduled drift check and privilege audit
  driftFindings: 'DriftFindings',
  rawTableBypasses: 'RawTableBypasses',
  auditFindings: 'AuditFindings',
  // the Immuta connector: notices received (immuta-notice); Immuta objects read, events sent (objects changed),
  // failed syncs and mapping diagnostics (immuta-fetch, immuta-reconcile). From the reconciler, objects changed
  // > 0 is drift: a notice was lost.
  immutaNoticesAccepted: 'ImmutaNoticesAccepted',
  immutaNoticesRejected: 'ImmutaNoticesRejected',
  immutaNoticesFailed: 'ImmutaNoticesFailed',
  immutaObjectsChecked: 'ImmutaObjectsChecked',
  immutaObjectsChanged: 'ImmutaObjectsChanged',
  immutaSyncFailed: 'ImmutaSyncFailed',
  immutaDiagnostics: 'ImmutaDiagnostics',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
