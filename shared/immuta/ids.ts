// Our ids for what the connector makes from Immuta objects. Every id starts with `immuta:` so that the
// reconciler only ever deletes what the connector made (another sender's data sources and policies are not
// its business), and each policy id names the Immuta object it came from so that refreshing that object
// covers (and can delete) exactly its policies.
//   immuta:ds:<id>                       the data source
//   immuta:ds:<id>:subscription          its subscription policy (from the data source's subscriptionPolicy)
//   immuta:ds:<id>:rule:<n>[.<f>]        its local policy rules (policy handler jsonRules), field f of rule n
//   immuta:ds:<id>:failclosed            the no-rows filter that replaces its policies when one cannot be mapped
//   immuta:gp:<id>:rule:<a>.<r>[.<f>]    global policy <id>, action a, rule r, field f
//   immuta:gp:<id>:failclosed            the no-rows filter that replaces the whole global policy
export const CONNECTOR_PREFIX = 'immuta:';

export const dataSourceId = (immutaId: string): string => `immuta:ds:${immutaId}`;
export const dataSourcePolicyPrefix = (immutaId: string): string => `immuta:ds:${immutaId}:`;
export const globalPolicyPrefix = (immutaId: string): string => `immuta:gp:${immutaId}:`;

export type Owner = { kind: 'dataSource'; immutaId: string } | { kind: 'globalPolicy'; immutaId: string };

/** Which Immuta object one of our data source or policy ids came from; null for ids the connector did not make. */
export function ownerOf(id: string): Owner | null {
  const m = /^immuta:(ds|gp):([^:]+)(?::|$)/.exec(id);
  if (!m) return null;
  return m[1] === 'ds' ? { kind: 'dataSource', immutaId: m[2]! } : { kind: 'globalPolicy', immutaId: m[2]! };
}

/** The Immuta data source id of one of our data source ids (`immuta:ds:<id>` exactly), else null. */
export function immutaDataSourceId(ourId: string): string | null {
  const m = /^immuta:ds:([^:]+)$/.exec(ourId);
  return m ? m[1]! : null;
}
