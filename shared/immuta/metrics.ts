// The EMF metric names of the Immuta connector's Lambdas (namespace `viewguard`, dimension `service` =
// the function's Powertools service name, e.g. viewguard-immuta-reconcile or viewguard-prod-immuta-reconcile):
// the handlers publish them, the dashboard and the drift alarm read them.
export const IMMUTA_METRICS = {
  noticesAccepted: 'ImmutaNoticesAccepted',
  noticesRejected: 'ImmutaNoticesRejected',
  noticesFailed: 'ImmutaNoticesFailed',
  /** Immuta objects read by a sync (fetch or reconcile). */
  objectsChecked: 'ImmutaObjectsChecked',
  /** Events a sync emitted; from the reconciler, > 0 means drift: a notice was lost. */
  objectsChanged: 'ImmutaObjectsChanged',
  syncFailed: 'ImmutaSyncFailed',
  diagnostics: 'ImmutaDiagnostics',
} as const;
