// Every Immuta policy rule type the mapping table in docs/immuta.md lists, as a case the mapping test runs: the
// Immuta JSON (in a global data policy, or as a data source's own rule / subscription), and what the mapping must
// give — the v1 policies (without the header fields) or a fail-closed no-rows filter and the reason.
// docs/immuta.md's table is checked against this list (ids and verdicts), so the two cannot drift apart.

export type RuleCase = {
  id: string;
  /**
   * Where the JSON goes: a rule of a global data policy, a rule of a data source's policy handler, or a data source's
   * subscription.
   */
  where: 'global' | 'local' | 'subscription' | 'circumstances';
  json: unknown;
} & ({ verdict: 'mapped'; expect: Record<string, unknown>[] } | { verdict: 'failClosed'; reason: RegExp });

const tagField = { name: 'PII.Email', displayName: 'PII > Email', hasLeafNodes: false, source: 'curated' };
const mask = (maskingConfig: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'masking',
  exceptions: null,
  config: { fields: [tagField], maskingConfig },
  ...extra,
});
const hashOn = { target: { kind: 'tag', tag: 'PII.Email' }, mask: { kind: 'hash' } };
const hr = { operator: 'or', conditions: [{ type: 'groups', group: { name: 'hr' } }] };

export const RULE_CASES: RuleCase[] = [
  // ---- masking ----
  {
    id: 'mask-hashing',
    where: 'global',
    json: mask({ type: 'Consistent Value', metadata: {} }),
    verdict: 'mapped',
    expect: [{ type: 'mask', ...hashOn, condition: { kind: 'everyone' } }],
  },
  {
    id: 'mask-null',
    where: 'global',
    json: mask({ type: 'Null Value' }),
    verdict: 'mapped',
    expect: [
      {
        type: 'mask',
        target: { kind: 'tag', tag: 'PII.Email' },
        mask: { kind: 'null' },
        condition: { kind: 'everyone' },
      },
    ],
  },
  {
    id: 'mask-constant',
    where: 'global',
    json: mask({ type: 'Constant', metadata: { constant: 'REDACTED' } }),
    verdict: 'mapped',
    expect: [
      {
        type: 'mask',
        target: { kind: 'tag', tag: 'PII.Email' },
        mask: { kind: 'constant', value: 'REDACTED' },
        condition: { kind: 'everyone' },
      },
    ],
  },
  {
    id: 'mask-regex',
    where: 'global',
    json: mask({ type: 'Regex', metadata: { regex: '[0-9]', replacement: '#' } }),
    verdict: 'mapped',
    expect: [
      {
        type: 'mask',
        target: { kind: 'tag', tag: 'PII.Email' },
        mask: { kind: 'regex', pattern: '[0-9]', replacement: '#' },
        condition: { kind: 'everyone' },
      },
    ],
  },
  {
    id: 'mask-rounding-number',
    where: 'local',
    json: {
      type: 'masking',
      config: { fields: ['amount'], maskingConfig: { type: 'Rounding', metadata: { bucketSize: 100 } } },
    },
    verdict: 'mapped',
    expect: [
      {
        type: 'mask',
        target: { kind: 'column', name: 'amount' },
        mask: { kind: 'round', bucket: 100 },
        condition: { kind: 'everyone' },
      },
    ],
  },
  {
    id: 'mask-rounding-date',
    where: 'local',
    json: {
      type: 'masking',
      config: { fields: ['created_at'], maskingConfig: { type: 'Rounding', metadata: { timePrecision: 'MONTH' } } },
    },
    verdict: 'mapped',
    expect: [
      {
        type: 'mask',
        target: { kind: 'column', name: 'created_at' },
        mask: { kind: 'round', unit: 'month' },
        condition: { kind: 'everyone' },
      },
    ],
  },
  {
    id: 'mask-cell-level',
    where: 'global',
    json: mask(
      { type: 'Consistent Value' },
      { config: { fields: [tagField], maskingConfig: { type: 'Consistent Value' }, predicate: "country = 'US'" } },
    ),
    verdict: 'mapped',
    expect: [{ type: 'mask', ...hashOn, condition: { kind: 'everyone' }, where: "country = 'US'" }],
  },
  {
    id: 'mask-exceptions',
    where: 'global',
    json: {
      ...mask({ type: 'Consistent Value' }),
      exceptions: {
        operator: 'and',
        conditions: [
          { type: 'groups', group: { name: 'hr' } },
          { type: 'authorizations', authorization: { auth: 'clearance', value: 'high' } },
        ],
      },
    },
    verdict: 'mapped',
    expect: [
      {
        type: 'mask',
        ...hashOn,
        condition: {
          kind: 'everyoneExcept',
          except: { groups: ['hr'], attributes: { clearance: ['high'] }, purposes: [], match: 'all' },
        },
      },
    ],
  },
  {
    id: 'mask-exception-purpose',
    where: 'global',
    json: {
      ...mask({ type: 'Consistent Value' }),
      exceptions: { operator: 'or', conditions: [{ type: 'purposes', value: 'Fraud Detection' }] },
    },
    verdict: 'failClosed',
    reason: /acting under a purpose has no v1 equivalent/,
  },
  {
    id: 'mask-reversible',
    where: 'global',
    json: mask({ type: 'Reversible' }),
    verdict: 'failClosed',
    reason: /reversible masking/,
  },
  {
    id: 'mask-format-preserving',
    where: 'global',
    json: mask({ type: 'Format Preserving Masking' }),
    verdict: 'failClosed',
    reason: /format preserving masking/,
  },
  {
    id: 'mask-randomized-response',
    where: 'global',
    json: mask({ type: 'Randomized Response' }),
    verdict: 'failClosed',
    reason: /randomized response/,
  },
  {
    id: 'mask-custom-function',
    where: 'global',
    json: mask({ type: 'Custom Function', metadata: { function: 'upper(@column)' } }),
    verdict: 'failClosed',
    reason: /arbitrary SQL/,
  },
  {
    id: 'mask-k-anonymization',
    where: 'global',
    json: { type: 'k-anonymization', config: { fields: [tagField] } },
    verdict: 'failClosed',
    reason: /k-anonymization/,
  },
  {
    id: 'mask-everyone-who-otherwise',
    where: 'global',
    json: { ...mask({ type: 'Consistent Value' }), otherwise: { maskingConfig: { type: 'Null Value' } } },
    verdict: 'failClosed',
    reason: /settings the mapping does not read: otherwise/,
  },
  // ---- rows ----
  {
    id: 'row-group-match',
    where: 'local',
    json: { type: 'visibility', operator: 'or', conditions: [{ type: 'groups', field: 'dept' }] },
    verdict: 'mapped',
    expect: [{ type: 'rowFilter', filter: { kind: 'groupMatch', column: { kind: 'column', name: 'dept' } } }],
  },
  {
    id: 'row-attribute-match',
    where: 'global',
    json: {
      type: 'visibility',
      exceptions: hr,
      conditions: [{ type: 'authorizations', field: { name: 'Geo.Region' }, authorization: { auth: 'region' } }],
    },
    verdict: 'mapped',
    expect: [
      {
        type: 'rowFilter',
        filter: { kind: 'attributeMatch', column: { kind: 'tag', tag: 'Geo.Region' }, attribute: 'region' },
        exception: { groups: ['hr'], attributes: {}, purposes: [], match: 'any' },
      },
    ],
  },
  {
    id: 'row-conditions-or',
    where: 'local',
    json: {
      type: 'visibility',
      operator: 'or',
      conditions: [
        { type: 'groups', field: 'dept' },
        { type: 'authorizations', field: 'country', authorization: { auth: 'region' } },
      ],
    },
    verdict: 'mapped',
    expect: [
      {
        type: 'rowFilter',
        filter: { kind: 'where', clause: `@groupsContains("dept") OR @attributeValuesContains('region', "country")` },
      },
    ],
  },
  {
    id: 'row-conditions-and',
    where: 'local',
    json: {
      type: 'visibility',
      operator: 'and',
      conditions: [
        { type: 'groups', field: 'dept' },
        { type: 'authorizations', field: 'country', authorization: { auth: 'region' } },
      ],
    },
    verdict: 'mapped',
    expect: [
      { type: 'rowFilter', filter: { kind: 'groupMatch', column: { kind: 'column', name: 'dept' } } },
      {
        type: 'rowFilter',
        filter: { kind: 'attributeMatch', column: { kind: 'column', name: 'country' }, attribute: 'region' },
      },
    ],
  },
  {
    id: 'row-purpose-match',
    where: 'local',
    json: { type: 'visibility', conditions: [{ type: 'purposes', field: 'purpose' }] },
    verdict: 'failClosed',
    reason: /@purposesContains/,
  },
  {
    id: 'row-custom-where',
    where: 'global',
    json: { type: 'visibility', config: { predicate: "@isInGroups('auditors') OR amount < 100" } },
    verdict: 'mapped',
    expect: [{ type: 'rowFilter', filter: { kind: 'where', clause: "@isInGroups('auditors') OR amount < 100" } }],
  },
  {
    id: 'purpose-restriction',
    where: 'local',
    json: {
      type: 'prerequisite',
      operator: 'or',
      conditions: [
        { type: 'purposes', value: 'Fraud Detection' },
        { type: 'purposes', value: 'Audit' },
      ],
    },
    verdict: 'mapped',
    expect: [{ type: 'rowFilter', filter: { kind: 'usingPurpose', purposes: ['Fraud Detection', 'Audit'] } }],
  },
  {
    id: 'purpose-restriction-all',
    where: 'local',
    json: {
      type: 'prerequisite',
      operator: 'and',
      conditions: [
        { type: 'purposes', value: 'Fraud Detection' },
        { type: 'purposes', value: 'Audit' },
      ],
    },
    verdict: 'failClosed',
    reason: /ALL of several purposes/,
  },
  {
    id: 'minimization',
    where: 'local',
    json: { type: 'minimization', config: { percent: 10 } },
    verdict: 'failClosed',
    reason: /no key column/,
  },
  {
    id: 'time-based',
    where: 'local',
    json: { type: 'time', config: { hours: 720 } },
    verdict: 'failClosed',
    reason: /event-time column/,
  },
  {
    id: 'unknown-rule-type',
    where: 'global',
    json: { type: 'somethingNew', config: {} },
    verdict: 'failClosed',
    reason: /not one the mapping knows/,
  },
  // ---- where a global policy applies ----
  {
    id: 'circumstances-tags',
    where: 'circumstances',
    json: [
      { operator: 'or', type: 'columnTags', columnTag: { name: 'PII.Email' } },
      { operator: 'or', type: 'tags', tag: { name: 'Sales' } },
    ],
    verdict: 'mapped',
    expect: [{ scope: { kind: 'global', tags: ['PII.Email', 'Sales'] } }],
  },
  {
    id: 'circumstances-none',
    where: 'circumstances',
    json: [],
    verdict: 'mapped',
    expect: [{ scope: { kind: 'global' } }],
  },
  {
    id: 'circumstances-and',
    where: 'circumstances',
    json: [
      { operator: 'and', type: 'columnTags', columnTag: { name: 'PII.Email' } },
      { operator: 'and', type: 'tags', tag: { name: 'Sales' } },
    ],
    verdict: 'failClosed',
    reason: /joined with "and"/,
  },
  {
    id: 'circumstances-other',
    where: 'circumstances',
    json: [{ operator: 'or', type: 'columnRegex', regex: 'ssn', caseInsensitive: false }],
    verdict: 'failClosed',
    reason: /cannot be expressed as tags/,
  },
  // ---- subscription (the data source's subscriptionType / subscriptionPolicy) ----
  {
    id: 'subscription-automatic',
    where: 'subscription',
    json: { subscriptionType: 'automatic', subscriptionPolicy: { type: 'subscription', automaticSubscription: true } },
    verdict: 'mapped',
    expect: [{ type: 'subscription', access: { kind: 'anyone' } }],
  },
  {
    id: 'subscription-policy',
    where: 'subscription',
    json: {
      subscriptionType: 'policy',
      subscriptionPolicy: {
        type: 'subscription',
        exceptions: { operator: 'and', conditions: [{ type: 'groups', group: { name: 'alpha' } }] },
        automaticSubscription: true,
      },
    },
    verdict: 'mapped',
    expect: [
      {
        type: 'subscription',
        access: { kind: 'usersWith', who: { groups: ['alpha'], attributes: {}, purposes: [], match: 'all' } },
      },
    ],
  },
  {
    id: 'subscription-purpose',
    where: 'subscription',
    json: {
      subscriptionType: 'policy',
      subscriptionPolicy: {
        exceptions: { operator: 'or', conditions: [{ type: 'purposes', value: 'Fraud Detection' }] },
      },
    },
    verdict: 'mapped',
    expect: [{ type: 'subscription', access: { kind: 'usingPurpose', purposes: ['Fraud Detection'] } }],
  },
  {
    id: 'subscription-manual',
    where: 'subscription',
    json: { subscriptionType: 'manual', subscriptionPolicy: { type: 'subscription' } },
    verdict: 'mapped',
    expect: [{ type: 'subscription', access: { kind: 'approved' } }],
  },
  {
    id: 'subscription-approval',
    where: 'subscription',
    json: { subscriptionType: 'approval', subscriptionPolicy: { type: 'subscription' } },
    verdict: 'mapped',
    expect: [{ type: 'subscription', access: { kind: 'approved' } }],
  },
  {
    id: 'subscription-purpose-and-groups',
    where: 'subscription',
    json: {
      subscriptionType: 'policy',
      subscriptionPolicy: {
        exceptions: {
          operator: 'or',
          conditions: [
            { type: 'purposes', value: 'Fraud Detection' },
            { type: 'groups', group: { name: 'alpha' } },
          ],
        },
      },
    },
    verdict: 'failClosed',
    reason: /combined with groups or attributes/,
  },
  {
    id: 'subscription-advanced',
    where: 'subscription',
    json: {
      subscriptionType: 'policy',
      subscriptionPolicy: { advanced: "@isInGroups('a') AND @hasAttribute('b', 'c')" },
    },
    verdict: 'failClosed',
    reason: /advanced \(DSL\)/,
  },
  {
    id: 'subscription-unknown',
    where: 'subscription',
    json: { subscriptionType: 'somethingNew' },
    verdict: 'failClosed',
    reason: /not one the mapping knows/,
  },
];
