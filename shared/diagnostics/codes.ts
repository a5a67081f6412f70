// The one catalogue of diagnostic and error codes (documented in docs/diagnostics.md). A code is never reused
// for a different meaning; add new codes at the end of their block.
export const DIAGNOSTIC_CODES = {
  // VG1xx — identifiers and literals
  VG101: 'identifier is empty',
  VG102: 'identifier is too long for the dialect',
  VG103: 'identifier contains a NUL or control character',
  VG104: 'literal contains a NUL character',
  // VG2xx — validation of data sources, policies, users, config (zod issues mapped to paths)
  VG201: 'invalid data source',
  VG202: 'invalid policy',
  VG203: 'invalid user profile',
  VG204: 'invalid integration config',
  // VG3xx — compilation
  VG301: 'policy cannot be compiled for this data source; the view fails closed (no rows)',
  VG302: 'policy target column not found',
  VG303: 'mask does not fit the column type',
  VG304: 'conflicting policies resolved',
  VG305: 'external (Spectrum) table in another database: cross-database queries cannot read it (multi-database mode)',
  VG306: 'custom WHERE clause rejected (not on the whitelist or does not parse)',
  VG307: 'row filter value does not fit the column type',
  VG308: 'the warehouse refused the compiled view; the view fails closed (no rows)',
  VG320: 'a statement of the view is larger than the Data API takes; the view fails closed (no rows)',
  VG321:
    'the view cannot be dropped (other objects depend on it); it is replaced in place by a deny-all view of its ' +
    'current columns',
  VG313: 'a masked string does not fit any string type of the engine; the masked users see NULL',
  // VG4xx — Redshift lint
  VG401: 'statement does not parse',
  VG402: 'function not on the Redshift allow-list',
  VG403: 'construct not supported by Redshift',
  VG404: 'statement exceeds the Data API size limit',
  VG405: 'the result expressions of a CASE have types Redshift cannot match',
  VG406: 'wrong number or kind of arguments for a Redshift function',
  VG407: 'construct Redshift has but viewguard refuses',
  // VG5xx — webhooks and pipeline
  VG501: 'bad signature',
  VG502: 'stale or missing timestamp',
  VG503: 'malformed JSON',
  VG504: 'envelope or data violates the schema',
  VG505: 'unknown event type',
  VG506: 'body too large',
  VG507: 'event bus rejected the event',
  // VG7xx — Immuta connector
  VG701: 'Immuta notice signature missing or wrong',
  VG702: 'Immuta notice not understood; a full refresh is queued',
  VG703: 'Immuta notice body too large',
  VG704: 'hint queue did not take the Immuta notice',
  VG705: 'Immuta policy rule cannot be expressed; the data sources it reaches fail closed',
  VG706: 'Immuta data source cannot be represented in full',
  VG707: 'Immuta user has no Redshift user name of its own; no profile',
  VG708: 'invalid Immuta connector setting',
  VG709: 'Immuta API unavailable or answered unexpectedly; the sync is retried',
  VG710: 'mapped object rejected by the contract; not sent',
  VG711: 'reconcile found drift between Immuta and the warehouse',
  // VG8xx — operator tools (the viewguard CLI, the scheduled drift-and-audit run)
  VG801: 'no registered data source has this view',
  VG802: 'the warehouse differs from the stored state (drift)',
  VG803: 'a principal can bypass the secure views (privilege audit)',
  VG804: 'plan input is not an event or a desired-state file',
  // VG9xx — deploy configuration and preflight
  VG901: 'deploy environment not found',
  VG902: 'deploy environment file is not a JSON object of settings',
  VG903: 'preflight could not reach AWS (credentials or region)',
  VG904: 'the account is not ready for cdk deploy',
  VG905: 'the configured cluster or workgroup is missing or unsuitable',
  VG906: 'a configured secret is missing or not usable',
  VG907: 'the Data API cannot reach the warehouse as configured',
  VG908: 'the custom domain certificate is not usable',
  VG508: 'userId can never equal a Redshift current_user (warning: the event is accepted)',
  // VG6xx — bootstrap and conformance (the deployed warehouse layout; npm run redshift-check)
  VG601: 'the bootstrap refuses to create a system user that signs in with a password (it would be PASSWORD DISABLE)',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
