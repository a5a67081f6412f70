// Whole Immuta policies → v1 policies: a global data policy, a data source's own rules (its policy handler)
// and its subscription policy. Each source maps whole or fails closed whole (map-rule.ts explains why).
// Global SUBSCRIPTION policies are not mapped here: Immuta reflects the one in force on every data source
// (`subscriptionType` and `subscriptionPolicy` of GET /dataSource/{id}), and that is what we map.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { PolicyInput } from '../policy/policy.js';
import type { ImmutaDataSource, ImmutaGlobalPolicy } from './api-shapes.js';
import { dataSourceId } from './ids.js';
import {
  failClosedDiagnostic,
  failClosedPolicy,
  failClosedScope,
  finish,
  globalScope,
  mapRule,
  Unmappable,
  userCriteria,
  type RuleContext,
} from './map-rule.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const norm = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase().replace(/[\s_-]+/g, '') : '');
const EPOCH = '1970-01-01T00:00:00Z';
const validTime = (t: unknown): string =>
  typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? new Date(t).toISOString() : EPOCH;

export interface MappedSource {
  policies: PolicyInput[];
  diagnostics: Diagnostic[];
}

/** How a rule is named in diagnostics: its type and, for masks, the masking type. */
function describeRule(rule: unknown): string {
  if (!isObj(rule)) return 'not an object';
  const config = isObj(rule.config) ? rule.config : {};
  const masking =
    isObj(config.maskingConfig) && typeof config.maskingConfig.type === 'string'
      ? `: ${config.maskingConfig.type}`
      : '';
  return `${String(rule.type)}${masking}`;
}

/** An action holds `rules`; a bare rule (some API versions) is its own single rule. */
function rulesOf(action: unknown): unknown[] {
  return isObj(action) && Array.isArray(action.rules) ? action.rules : [action];
}

function mapRules(rules: { rule: unknown; label: string; id: string }[], ctx: RuleContext): PolicyInput[] {
  return rules.flatMap(({ rule, label, id }) => finish(mapRule(rule, ctx, label, id), ctx, label));
}

/** Whether a global policy is in force: not staged, not disabled, not deleted. */
export function isActive(gp: ImmutaGlobalPolicy): boolean {
  return gp.deleted !== true && gp.staged !== true && gp.disabled !== true;
}

export function mapGlobalPolicy(gp: ImmutaGlobalPolicy): MappedSource {
  if (!isActive(gp) || norm(gp.type) === 'subscription') return { policies: [], diagnostics: [] };
  const base = `global policy ${gp.id} ${JSON.stringify(gp.name)}`;
  const createdAt = validTime(gp.createdAt);
  const failId = `immuta:gp:${gp.id}:failclosed`;
  try {
    if (norm(gp.type) !== 'data')
      throw new Unmappable(base, `policy type ${JSON.stringify(gp.type)} is neither "data" nor "subscription"`);
    const scope = globalScope(gp.circumstances, `${base}, circumstances`);
    const ctx: RuleContext = {
      scope,
      columns: 'tag',
      idPrefix: `immuta:gp:${gp.id}:`,
      name: `${gp.name} (Immuta global policy ${gp.id})`,
      createdAt,
    };
    const actions = Array.isArray(gp.actions) ? gp.actions : [gp.actions];
    const rules = actions.flatMap((action, a) =>
      rulesOf(action).map((rule, r) => ({
        rule,
        label: `${base}, action ${a + 1} rule ${r + 1} (${describeRule(rule)})`,
        id: `immuta:gp:${gp.id}:rule:${a}.${r}`,
      })),
    );
    if (rules.length === 0) throw new Unmappable(base, 'the policy has no rules');
    return { policies: mapRules(rules, ctx), diagnostics: [] };
  } catch (err) {
    if (!(err instanceof Unmappable)) throw err;
    const scope = failClosedScope(gp.circumstances);
    const reach =
      scope.kind === 'global' && scope.tags ? `data sources tagged ${scope.tags.join(', ')}` : 'every data source';
    return {
      policies: [failClosedPolicy(failId, scope, `${gp.name} (Immuta global policy ${gp.id})`, createdAt, err)],
      diagnostics: [failClosedDiagnostic(err, reach)],
    };
  }
}

/** The data source's subscription policy → v1 access. No subscription information → `approved` (v1's default). */
function subscriptionAccess(ds: ImmutaDataSource, label: string): Obj {
  const sp = isObj(ds.subscriptionPolicy) ? ds.subscriptionPolicy : {};
  const type = norm(ds.subscriptionType ?? sp.subscriptionType);
  switch (type) {
    case 'automatic':
    case 'anyone':
      return { kind: 'anyone' };
    case 'manual':
    case 'approval':
    case '':
      return { kind: 'approved' };
    case 'policy':
    case 'entitlements': {
      if (sp.advanced !== undefined && sp.advanced !== null && sp.advanced !== '')
        throw new Unmappable(label, 'an advanced (DSL) subscription rule has no v1 equivalent');
      const who = userCriteria(sp.exceptions ?? sp.entitlements, label, true);
      if (!who) throw new Unmappable(label, 'a subscription policy with no conditions');
      const purposes = who.purposes ?? [];
      const others = (who.groups ?? []).length + Object.keys(who.attributes ?? {}).length;
      if (purposes.length === 0) return { kind: 'usersWith', who };
      if (others > 0)
        throw new Unmappable(label, 'acting under a purpose combined with groups or attributes has no v1 equivalent');
      if (purposes.length > 1 && who.match === 'all')
        throw new Unmappable(label, 'acting under ALL of several purposes has no v1 equivalent');
      return { kind: 'usingPurpose', purposes };
    }
    default:
      throw new Unmappable(
        label,
        `subscription type ${JSON.stringify(ds.subscriptionType)} is not one the mapping knows`,
      );
  }
}

/** A data source's subscription and its own rules (policy handler `jsonRules`; null when it has none). */
export function mapDataSourcePolicies(ds: ImmutaDataSource, jsonRules: unknown[] | null): MappedSource {
  const ourId = dataSourceId(ds.id);
  const base = `data source ${ds.id} ${JSON.stringify(ds.name)}`;
  const createdAt = validTime(ds.createdAt);
  const scope = { kind: 'local' as const, dataSourceId: ourId };
  const name = `${ds.name} (Immuta data source ${ds.id})`;
  try {
    const subscription = {
      id: `${ourId}:subscription`,
      type: 'subscription',
      access: subscriptionAccess(ds, `${base}, subscription policy`),
    };
    const ctx: RuleContext = { scope, columns: 'name', idPrefix: `${ourId}:`, name, createdAt };
    const policies = finish([subscription], ctx, `${base}, subscription policy`);
    const rules = (jsonRules ?? []).map((rule, i) => ({
      rule,
      label: `${base}, local rule ${i + 1} (${describeRule(rule)})`,
      id: `${ourId}:rule:${i}`,
    }));
    return { policies: [...policies, ...mapRules(rules, ctx)], diagnostics: [] };
  } catch (err) {
    if (!(err instanceof Unmappable)) throw err;
    return {
      policies: [failClosedPolicy(`${ourId}:failclosed`, scope, name, createdAt, err)],
      diagnostics: [failClosedDiagnostic(err, `data source ${ds.id}`)],
    };
  }
}
