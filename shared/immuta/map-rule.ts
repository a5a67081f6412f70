// One Immuta policy rule → policy model v1 (the table is docs/immuta.md "Policy mapping"; whole policies:
// map-policies.ts).
// An Immuta policy is mapped whole or not at all: when ANY of its rules (or its circumstances) cannot be
// expressed, none of its rules is emitted and one no-rows filter with the same reach takes their place, so the
// affected data sources fail closed with a VG705 diagnostic naming the rule — never a partially applied policy.
// Every mapped policy is checked against the model's own schema; one that does not validate is unmappable too.
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { z } from 'zod';
import { PolicySchema, type PolicyInput, type ScopeSchema, type UserCriteriaSchema } from '../policy/policy.js';

type ScopeInputish = z.input<typeof ScopeSchema>;
type UserCriteriaInputish = z.input<typeof UserCriteriaSchema>;

/** Why one rule (or circumstance) has no v1 equivalent; `rule` names it for the operator. */
export class Unmappable extends Error {
  constructor(
    readonly rule: string,
    readonly reason: string,
  ) {
    super(`${rule}: ${reason}`);
  }
}

export interface MappedPolicies {
  policies: PolicyInput[];
  diagnostics: Diagnostic[];
  /** Set when the source failed closed: which rule, and why. */
  failedClosed?: { rule: string; reason: string };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined;
/** Immuta spells types in several ways across pages and API versions ("Masking", "masking", "Consistent Value"). */
const norm = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase().replace(/[\s_-]+/g, '') : '');

/** Where the mapped rules apply and how column references read: tags in global policies, names in local ones. */
export interface RuleContext {
  scope: ScopeInputish;
  /** Global policies target columns by tag; a data source's own rules name columns. */
  columns: 'tag' | 'name';
  idPrefix: string;
  name: string;
  createdAt: string;
}

// ---- user criteria (exceptions, conditions) ----

function condition(
  c: unknown,
  rule: string,
  into: { groups: string[]; attributes: Record<string, string[]>; purposes: string[] },
): void {
  if (!isObj(c)) throw new Unmappable(rule, 'a condition is not an object');
  switch (norm(c.type)) {
    case 'groups':
    case 'group': {
      const name = str(isObj(c.group) ? c.group.name : c.value);
      if (!name) throw new Unmappable(rule, 'a group condition names no group');
      into.groups.push(name);
      return;
    }
    case 'authorizations':
    case 'attributes':
    case 'attribute': {
      const a = isObj(c.authorization) ? c.authorization : c;
      const key = str(a.auth ?? a.name);
      const value = str(a.value);
      if (!key || value === undefined) throw new Unmappable(rule, 'an attribute condition needs a name and a value');
      (into.attributes[key] ??= []).push(value);
      return;
    }
    case 'purposes':
    case 'purpose': {
      const name = str(c.value ?? (isObj(c.purpose) ? c.purpose.name : undefined));
      if (!name) throw new Unmappable(rule, 'a purpose condition names no purpose');
      into.purposes.push(name);
      return;
    }
    default:
      throw new Unmappable(rule, `condition type ${JSON.stringify(c.type)} has no v1 equivalent`);
  }
}

function operatorMatch(op: unknown, rule: string): 'any' | 'all' {
  const o = norm(op ?? 'or');
  if (o === 'or' || o === 'any') return 'any';
  if (o === 'and' || o === 'all') return 'all';
  throw new Unmappable(rule, `operator ${JSON.stringify(op)} is neither "and" nor "or"`);
}

/**
 * `{ operator, conditions }` (or a bare list) → UserCriteria; undefined when there are none. Immuta's purpose
 * condition means "acting under the purpose"; v1's `purposes` criterion means "acknowledged it", which more users
 * meet — as an exception or a grant that would show data to users Immuta would not, so a purpose condition is
 * unmappable here unless the caller handles purposes itself (`purposesAllowed`, subscriptions: usingPurpose).
 */
export function userCriteria(x: unknown, rule: string, purposesAllowed = false): UserCriteriaInputish | undefined {
  if (x === undefined || x === null) return undefined;
  const conditions = Array.isArray(x) ? x : isObj(x) ? x.conditions : undefined;
  if (!Array.isArray(conditions)) throw new Unmappable(rule, 'exceptions carry no list of conditions');
  if (conditions.length === 0) return undefined;
  const into = { groups: [] as string[], attributes: {} as Record<string, string[]>, purposes: [] as string[] };
  for (const c of conditions) condition(c, rule, into);
  if (into.purposes.length > 0 && !purposesAllowed) {
    throw new Unmappable(
      rule,
      'an exception for users acting under a purpose has no v1 equivalent (v1 criteria test acknowledged purposes, ' +
        'which more users hold)',
    );
  }
  return { ...into, match: operatorMatch(isObj(x) ? x.operator : 'or', rule) };
}

// ---- circumstances → scope ----

/** The tags of a global policy's circumstances; throws for what our scope cannot express. */
export function globalScope(circumstances: unknown, rule: string): ScopeInputish {
  const list = Array.isArray(circumstances) ? circumstances : [];
  if (list.length === 0) return { kind: 'global' };
  const tags: string[] = [];
  for (const c of list) {
    if (!isObj(c)) throw new Unmappable(rule, 'a circumstance is not an object');
    const t = norm(c.type);
    const ref = t === 'columntags' ? c.columnTag : t === 'tags' ? c.tag : undefined;
    const name = str(isObj(ref) ? ref.name : ref);
    if (!name)
      throw new Unmappable(
        rule,
        `circumstance ${JSON.stringify(c.type)} cannot be expressed as tags (only "tags" and "columnTags" can)`,
      );
    tags.push(name);
  }
  // Our scope applies where ANY tag matches; Immuta's "and" between circumstances would need all of them.
  if (list.length > 1 && list.some((c) => isObj(c) && norm(c.operator) === 'and')) {
    throw new Unmappable(
      rule,
      'circumstances joined with "and" cannot be expressed (a v1 scope matches any of its tags)',
    );
  }
  return { kind: 'global', tags: [...new Set(tags)] };
}

/** Where a failed-closed policy reaches: the tags we could read, or every data source when we could not. */
export function failClosedScope(circumstances: unknown): ScopeInputish {
  try {
    return globalScope(circumstances, '');
  } catch {
    const tags = (Array.isArray(circumstances) ? circumstances : []).flatMap((c) => {
      if (!isObj(c)) return [];
      const ref = norm(c.type) === 'columntags' ? c.columnTag : norm(c.type) === 'tags' ? c.tag : undefined;
      const name = str(isObj(ref) ? ref.name : ref);
      return name ? [name] : [];
    });
    const allReadable = Array.isArray(circumstances) && tags.length === circumstances.length;
    return allReadable ? { kind: 'global', tags } : { kind: 'global' };
  }
}

// ---- one rule → policies ----

type Target = { kind: 'column'; name: string } | { kind: 'tag'; tag: string };

/** A column reference in a rule: a tag in global policies, a column name in local ones (or explicit either way). */
function target(field: unknown, ctx: RuleContext, rule: string): Target {
  if (typeof field === 'string' && field.trim() !== '')
    return ctx.columns === 'tag' ? { kind: 'tag', tag: field.trim() } : { kind: 'column', name: field.trim() };
  if (isObj(field)) {
    const t = norm(field.type);
    if (t === 'columntags' || t === 'columntag' || t === 'tag') {
      const tag = str(isObj(field.columnTag) ? field.columnTag.name : (field.columnTag ?? field.name));
      if (tag) return { kind: 'tag', tag };
    }
    if (t === 'columnname' || t === 'column') {
      const name = str(field.name ?? field.column);
      if (name) return { kind: 'column', name };
    }
    if (t === '') {
      const name = str(field.name);
      if (name) return ctx.columns === 'tag' ? { kind: 'tag', tag: name } : { kind: 'column', name };
    }
  }
  throw new Unmappable(rule, `column reference ${JSON.stringify(field)} is neither a tag nor a column name`);
}

const ROUND_UNITS = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute'] as const;

/** The masking types of docs/immuta.md; anything else is unmappable. */
function maskFunction(config: unknown, rule: string): Obj {
  if (!isObj(config)) throw new Unmappable(rule, 'the masking rule has no maskingConfig');
  const meta = isObj(config.metadata) ? config.metadata : {};
  const type = norm(config.type);
  switch (type) {
    case 'consistentvalue':
    case 'hashing':
    case 'hash':
      return { kind: 'hash' };
    case 'nullvalue':
    case 'null':
    case 'makenull':
    case 'nulling':
    case 'nullify':
      return { kind: 'null' };
    case 'constant':
    case 'constantvalue': {
      const value = meta.constant ?? meta.value;
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new Unmappable(rule, 'a constant mask names no constant');
      return { kind: 'constant', value: String(value) };
    }
    case 'regex':
    case 'regularexpression': {
      const pattern = str(meta.regex ?? meta.pattern);
      if (!pattern) throw new Unmappable(rule, 'a regex mask names no regular expression');
      const replacement = meta.replacement ?? meta.replace ?? '';
      return {
        kind: 'regex',
        pattern,
        replacement,
        ...(typeof meta.global === 'boolean' ? { global: meta.global } : {}),
        ...(typeof meta.caseInsensitive === 'boolean' ? { caseInsensitive: meta.caseInsensitive } : {}),
      };
    }
    case 'rounding':
    case 'grouping': {
      const bucket = meta.bucketSize ?? meta.bucket ?? meta.roundingValue;
      const unit = norm(meta.timePrecision ?? meta.unit ?? meta.dateFormat);
      const out: Obj = { kind: 'round' };
      if (typeof bucket === 'number' || (typeof bucket === 'string' && bucket !== '')) out.bucket = Number(bucket);
      if ((ROUND_UNITS as readonly string[]).includes(unit)) out.unit = unit;
      if (out.bucket === undefined && out.unit === undefined)
        throw new Unmappable(rule, 'a rounding mask names neither a bucket size nor a time unit');
      return out;
    }
    case 'reversible':
    case 'reversiblemasking':
      throw new Unmappable(rule, 'reversible masking needs a key-managed reversible function; v1 has none');
    case 'formatpreservingmasking':
    case 'formatpreserving':
      throw new Unmappable(rule, 'format preserving masking (an encryption) has no v1 equivalent');
    case 'randomizedresponse':
    case 'randomized':
      throw new Unmappable(rule, 'randomized response changes values at random; v1 masks are deterministic');
    case 'customfunction':
      throw new Unmappable(rule, 'a custom masking function is arbitrary SQL; v1 never pastes SQL into a view');
    case 'kanonymization':
    case 'kanonymity':
      throw new Unmappable(rule, 'k-anonymization needs counts over the whole table; v1 masks are per value');
    default:
      throw new Unmappable(rule, `masking type ${JSON.stringify(config.type)} is not one the mapping knows`);
  }
}

/** Rule keys we read; any other key with a value means a setting we would silently drop — unmappable. */
const KNOWN_RULE_KEYS = new Set([
  'type',
  'operator',
  'conditions',
  'exceptions',
  'config',
  'predicate',
  'description',
  'id',
  'name',
]);
const KNOWN_CONFIG_KEYS = new Set(['fields', 'maskingConfig', 'conditions', 'predicate', 'operator']);

function checkKnownKeys(rule: Obj, label: string): void {
  const extra = Object.entries(rule).filter(
    ([k, v]) => !KNOWN_RULE_KEYS.has(k) && v !== null && v !== undefined && v !== false,
  );
  const config = isObj(rule.config)
    ? Object.entries(rule.config).filter(
        ([k, v]) => !KNOWN_CONFIG_KEYS.has(k) && v !== null && v !== undefined && v !== false,
      )
    : [];
  const names = [...extra.map(([k]) => k), ...config.map(([k]) => `config.${k}`)];
  if (names.length > 0) throw new Unmappable(label, `settings the mapping does not read: ${names.join(', ')}`);
}

type Draft = Obj & { id: string };

function maskRule(rule: Obj, ctx: RuleContext, label: string, id: string): Draft[] {
  const config = isObj(rule.config) ? rule.config : {};
  const fields = Array.isArray(config.fields) ? config.fields : [];
  if (fields.length === 0) throw new Unmappable(label, 'the masking rule names no columns');
  const mask = maskFunction(config.maskingConfig, label);
  const except = userCriteria(rule.exceptions, label);
  const condition = except ? { kind: 'everyoneExcept', except } : { kind: 'everyone' };
  // Cell-level masking: the mask applies in the rows where the WHERE clause holds (v1 mask `where`).
  const where = str(rule.predicate ?? config.predicate);
  return fields.map((f, i) => ({
    id: fields.length === 1 ? id : `${id}.${i}`,
    type: 'mask',
    target: target(f, ctx, label),
    mask,
    condition,
    ...(where ? { where } : {}),
  }));
}

/** `@groupsContains(col)` / `@attributeValuesContains('a', col)` text for an "or" of row conditions. */
function clauseColumn(t: Target): string {
  return t.kind === 'tag' ? `@columnTagged('${t.tag.replace(/'/g, "''")}')` : `"${t.name.replace(/"/g, '""')}"`;
}

function visibilityRule(rule: Obj, ctx: RuleContext, label: string, id: string): Draft[] {
  const config = isObj(rule.config) ? rule.config : {};
  const exception = userCriteria(rule.exceptions, label);
  const base = (suffix: string, filter: Obj): Draft => ({
    id: `${id}${suffix}`,
    type: 'rowFilter',
    filter,
    ...(exception ? { exception } : {}),
  });
  const predicate = str(rule.predicate ?? config.predicate);
  if (predicate) return [base('', { kind: 'where', clause: predicate })];
  const conditions = Array.isArray(rule.conditions)
    ? rule.conditions
    : Array.isArray(config.conditions)
      ? config.conditions
      : [];
  if (conditions.length === 0) throw new Unmappable(label, 'the row rule has neither conditions nor a WHERE clause');
  const parts = conditions.map((c): { filter: Obj; clause: string } => {
    if (!isObj(c)) throw new Unmappable(label, 'a row condition is not an object');
    const column = target(c.field, ctx, label);
    const t = norm(c.type);
    if (t === 'groups' || t === 'group')
      return { filter: { kind: 'groupMatch', column }, clause: `@groupsContains(${clauseColumn(column)})` };
    if (t === 'authorizations' || t === 'attributes' || t === 'attribute') {
      const a = isObj(c.authorization) ? c.authorization : c;
      const attribute = str(a.auth ?? a.name);
      if (!attribute) throw new Unmappable(label, 'an attribute row condition names no attribute');
      return {
        filter: { kind: 'attributeMatch', column, attribute },
        clause: `@attributeValuesContains('${attribute.replace(/'/g, "''")}', ${clauseColumn(column)})`,
      };
    }
    if (t === 'purposes' || t === 'purpose')
      throw new Unmappable(label, 'rows matching the user’s purposes (@purposesContains) have no v1 equivalent');
    throw new Unmappable(label, `row condition type ${JSON.stringify(c.type)} has no v1 equivalent`);
  });
  // "and": every condition must hold — v1 ANDs row filters; "or": one clause joining them.
  if (parts.length === 1 || operatorMatch(rule.operator ?? config.operator, label) === 'all')
    return parts.map((p, i) => base(parts.length === 1 ? '' : `.${i}`, p.filter));
  return [base('', { kind: 'where', clause: parts.map((p) => p.clause).join(' OR ') })];
}

function prerequisiteRule(rule: Obj, label: string, id: string): Draft[] {
  const conditions = Array.isArray(rule.conditions)
    ? rule.conditions
    : isObj(rule.config) && Array.isArray(rule.config.conditions)
      ? rule.config.conditions
      : [];
  const into = { groups: [] as string[], attributes: {} as Record<string, string[]>, purposes: [] as string[] };
  for (const c of conditions) condition(c, label, into);
  if (into.purposes.length === 0 || into.groups.length > 0 || Object.keys(into.attributes).length > 0) {
    throw new Unmappable(label, 'a purpose restriction must name purposes only');
  }
  if (into.purposes.length > 1 && operatorMatch(rule.operator, label) === 'all')
    throw new Unmappable(label, 'acting under ALL of several purposes has no v1 equivalent (v1: any of them)');
  return [{ id, type: 'rowFilter', filter: { kind: 'usingPurpose', purposes: into.purposes } }];
}

/** One Immuta rule → drafts (without the common header). */
export function mapRule(rule: unknown, ctx: RuleContext, label: string, id: string): Draft[] {
  if (!isObj(rule)) throw new Unmappable(label, 'the rule is not an object');
  switch (norm(rule.type)) {
    case 'masking':
      checkKnownKeys(rule, label);
      return maskRule(rule, ctx, label, id);
    case 'visibility':
    case 'rowrestriction':
    case 'roworobjectrestriction':
    case 'where':
      checkKnownKeys(rule, label);
      return visibilityRule(rule, ctx, label, id);
    case 'prerequisite':
    case 'purposerestriction':
      checkKnownKeys(rule, label);
      return prerequisiteRule(rule, label, id);
    case 'minimization':
      throw new Unmappable(
        label,
        'minimization picks rows at random with no key column; v1 minimization needs a key column',
      );
    case 'time':
    case 'timebased':
    case 'timebasedrestriction':
      throw new Unmappable(
        label,
        'a time-based restriction uses the data source’s event-time column, which the API shape does not give',
      );
    case 'kanonymization':
      throw new Unmappable(label, 'k-anonymization needs counts over the whole table; v1 has no equivalent');
    default:
      throw new Unmappable(label, `rule type ${JSON.stringify(rule.type)} is not one the mapping knows`);
  }
}

/** Drafts → validated v1 policies (version 0; the sync assigns versions). Throws Unmappable on a schema error. */
export function finish(drafts: Draft[], ctx: RuleContext, label: string): PolicyInput[] {
  return drafts.map((d) => {
    const input = { version: 0, name: ctx.name, createdAt: ctx.createdAt, scope: ctx.scope, ...d };
    const parsed = PolicySchema.safeParse(input);
    if (!parsed.success)
      throw new Unmappable(
        label,
        `the mapped policy is not valid v1 (` +
          `${parsed.error.issues.map((i) => `${i.path.join('.')}: ` + `${i.message}`).join('; ')})`,
      );
    return input as PolicyInput;
  });
}

/** The no-rows filter that stands in for everything `ctx` would have produced. */
export function failClosedPolicy(
  id: string,
  scope: ScopeInputish,
  name: string,
  createdAt: string,
  failure: Unmappable,
): PolicyInput {
  return {
    id,
    version: 0,
    name: `${name} — fails closed: ${failure.rule}: ${failure.reason}`.slice(0, 1000),
    createdAt,
    scope,
    type: 'rowFilter',
    filter: { kind: 'never' },
  };
}

export function failClosedDiagnostic(failure: Unmappable, affects: string): Diagnostic {
  return diagnostic('VG705', `${failure.rule}: ${failure.reason}; ${affects} fail closed (no rows)`);
}
