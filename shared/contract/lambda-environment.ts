// The environment contract between the stack and the handlers (documented in docs/architecture.md, "Lambda
// environment"). Handlers read these names; the stack is the only place that sets them.
export const ENV = {
  workQueueUrl: 'VIEWGUARD_WORK_QUEUE_URL',
  eventBusName: 'VIEWGUARD_EVENT_BUS_NAME',
  webhookSecretArn: 'VIEWGUARD_WEBHOOK_SECRET_ARN',
  maxBodyBytes: 'VIEWGUARD_MAX_BODY_BYTES',
  clusterId: 'VIEWGUARD_REDSHIFT_CLUSTER_ID',
  workgroupName: 'VIEWGUARD_REDSHIFT_WORKGROUP_NAME',
  database: 'VIEWGUARD_REDSHIFT_DATABASE',
  dbUser: 'VIEWGUARD_REDSHIFT_DB_USER',
  dbSecretArn: 'VIEWGUARD_REDSHIFT_SECRET_ARN',
  viewSchema: 'VIEWGUARD_VIEW_SCHEMA',
  integrationMode: 'VIEWGUARD_INTEGRATION_MODE',
  /** The system role (drift-and-audit: the owner it expects, the principal the audit leaves out). */
  systemUser: 'VIEWGUARD_SYSTEM_USER',
  /** How the drift-and-audit run signs in as the administrator (one of the two). */
  adminDbUser: 'VIEWGUARD_REDSHIFT_ADMIN_DB_USER',
  adminSecretArn: 'VIEWGUARD_REDSHIFT_ADMIN_SECRET_ARN',
  /** The integration's own schemas when renamed (IntegrationConfig.schemas); unset: the immuta_* defaults. */
  systemSchema: 'VIEWGUARD_SYSTEM_SCHEMA',
  functionsSchema: 'VIEWGUARD_FUNCTIONS_SCHEMA',
  proceduresSchema: 'VIEWGUARD_PROCEDURES_SCHEMA',
  /** Milliseconds before the Lambda deadline at which the apply loop stops polling (→ transient, redelivered). */
  deadlineMarginMs: 'VIEWGUARD_DEADLINE_MARGIN_MS',
  /** Immuta connector (docs/immuta.md): the notice secret, the hint queue, the API key and the settings JSON. */
  immutaNoticeSecretArn: 'VIEWGUARD_IMMUTA_NOTICE_SECRET_ARN',
  immutaHintQueueUrl: 'VIEWGUARD_IMMUTA_HINT_QUEUE_URL',
  immutaApiKeySecretArn: 'VIEWGUARD_IMMUTA_API_KEY_SECRET_ARN',
  immutaSettings: 'VIEWGUARD_IMMUTA_SETTINGS',
} as const;

/** Powertools reads these itself (https://docs.powertools.aws.dev/lambda/typescript/latest/#environment-variables). */
export const POWERTOOLS_ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** The CloudWatch namespace of the EMF metrics the handlers publish (docs/deploy.md "Metrics"). */
export const METRICS_NAMESPACE = 'viewguard';
