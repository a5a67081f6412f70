// Policy model v1. Three policy types share a common header; a policy is either global (applies to every
// data source carrying one of its tags, hierarchically) or local (one data source by id).
// Conflict rules live in applicable-policies.ts and docs/policies.md.
import { z } from 'zod';
import { TagSchema } from './tag.js';

const nonEmpty = z.string().min(1);

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
  } catch {
    return false;
  }
  return true;
}

/**
 * Who a condition or subscription rule matches. `match: 'any'` = at least one listed entitlement; 'all' = every one.
 */
export const UserCriteriaSchema = z
  .object({
    groups: z.array(nonEmpty).default([]),
    /** attribute name → accepted values; the user matches one pair when they hold that attribute with that value. */
    attributes: z.record(nonEmpty, z.array(z.string()).min(1)).default({}),
    purposes: z.array(nonEmpty).default([]),
    match: z.enum(['any', 'all']).default('any'),
  })
  .refine((c) => c.groups.length + Object.keys(c.attributes).length + c.purposes.length > 0, {
    message: 'name at least one group, attribute or purpose',
  });
export type UserCriteria = z.infer<typeof UserCriteriaSchema>;

export const ScopeSchema = z.discriminatedUnion('kind', [
  /**
   * Global: applies to data sources (or columns, for masks/filters by tag) carrying one of `tags` or a tag under it. No
   * tags = every data source.
   */
  z.object({ kind: z.literal('global'), tags: z.array(TagSchema).optional() }),
  z.object({ kind: z.literal('local'), dataSourceId: nonEmpty }),
]);
export type Scope = z.infer<typeof ScopeSchema>;

/** A column chosen by name, or every column carrying a tag (or a tag under it). */
export const ColumnTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('column'), name: nonEmpty }),
  z.object({ kind: z.literal('tag'), tag: TagSchema }),
]);
export type ColumnTarget = z.infer<typeof ColumnTargetSchema>;

export const MaskFunctionSchema = z.discriminatedUnion('kind', [
  /** SHA-256 of the value's text with the warehouse's secret key prepended; the column becomes varchar. */
  z.object({ kind: z.literal('hash') }),
  z.object({ kind: z.literal('null') }),
  /** Replace with a constant; the constant must be valid for the column's type (else VG303, fail closed). */
  z.object({ kind: z.literal('constant'), value: z.string() }),
  /**
   * Regular-expression replace on a string column. The replacement is literal text: `\` and `$` are refused
   * because the engines give them different meanings (PostgreSQL back-references `\1`; Redshift documents
   * none). `global: false` (first match only) exists on PostgreSQL only; Redshift fails closed (VG303).
   */
  z.object({
    kind: z.literal('regex'),
    // An invalid pattern would make every query on the view fail at run time; JavaScript's parser catches
    // the common mistakes (unbalanced brackets and parentheses, dangling quantifiers) that POSIX rejects too.
    pattern: z.string().min(1).max(1000).refine(compiles, { message: 'not a valid regular expression' }),
    replacement: z.string().refine((r) => !/[\\$]/.test(r), { message: 'the replacement is literal text: no \\ or $' }),
    global: z.boolean().default(true),
    caseInsensitive: z.boolean().default(false),
  }),
  /**
   * Rounding: numbers toward zero to a multiple of `bucket` (so the result never overflows the type);
   * dates and timestamps truncated to `unit` (DATE_TRUNC, in UTC). A column the given option does not fit
   * becomes NULL with a VG303 warning (never the clear value).
   */
  z.object({
    kind: z.literal('round'),
    bucket: z
      .number()
      .positive()
      .max(1e15)
      .refine((n) => /^\d+(\.\d{1,10})?$/.test(String(n)), {
        message: 'a plain decimal with at most 10 fraction digits',
      })
      .optional(),
    unit: z.enum(['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute']).optional(),
  }),
  /**
   * Partial (format-preserving) mask of a string: keep the first or last `count` characters, replace the
   * others with `maskChar`; `preserveFormat` keeps every character that is not a letter or digit (e.g. the
   * dashes of an SSN). A value not longer than `count` is masked entirely.
   */
  z.object({
    kind: z.literal('partial'),
    keep: z.enum(['first', 'last']),
    count: z.number().int().min(0).max(1000),
    maskChar: z
      .string()
      .regex(/^[^\\$]$/u, 'one character other than \\ and $')
      .default('*'),
    preserveFormat: z.boolean().default(false),
  }),
]);
export type MaskFunction = z.infer<typeof MaskFunctionSchema>;

export const MaskConditionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('everyone') }),
  z.object({ kind: z.literal('everyoneExcept'), except: UserCriteriaSchema }),
  z.object({
    kind: z.literal('everyoneWho'),
    who: UserCriteriaSchema,
    /** What everyone else sees: another mask, or the clear value. */
    otherwise: z.union([MaskFunctionSchema, z.object({ kind: z.literal('clear') })]).default({ kind: 'clear' }),
  }),
]);
export type MaskCondition = z.infer<typeof MaskConditionSchema>;

export const SubscriptionAccessSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('anyone') }),
  z.object({ kind: z.literal('usersWith'), who: UserCriteriaSchema }),
  /** Only users whose profile lists this data source id (individually approved). */
  z.object({ kind: z.literal('approved') }),
  /** Only users acting under one of the purposes: their current project carries it and they acknowledged it. */
  z.object({ kind: z.literal('usingPurpose'), purposes: z.array(nonEmpty).min(1) }),
]);
export type SubscriptionAccess = z.infer<typeof SubscriptionAccessSchema>;

export const RowFilterRuleSchema = z.discriminatedUnion('kind', [
  /** Rows whose column value is one of the user's values of `attribute`. */
  z.object({ kind: z.literal('attributeMatch'), column: ColumnTargetSchema, attribute: nonEmpty }),
  /** Rows whose column value is one of the user's groups. */
  z.object({ kind: z.literal('groupMatch'), column: ColumnTargetSchema }),
  /** No rows (for anyone not excepted). */
  z.object({ kind: z.literal('never') }),
  /**
   * Rows whose column value is (`not: false`) or is not (`not: true`) one of `values`; a NULL value matches neither.
   */
  z.object({
    kind: z.literal('values'),
    column: ColumnTargetSchema,
    values: z.array(z.string()).min(1),
    not: z.boolean().default(false),
  }),
  /** Rows whose timestamp/date column is newer (or older) than `amount` `unit`s before the query time; NULL never. */
  z.object({
    kind: z.literal('timeWindow'),
    column: ColumnTargetSchema,
    direction: z.enum(['newer', 'older']),
    amount: z.number().int().min(1).max(100000),
    unit: z.enum(['minute', 'hour', 'day', 'week', 'month', 'year']),
  }),
  /**
   * Minimization: a stable `percent` of the rows per user — MD5 of the key column's text and the user name
   * decides, so the same user sees the same rows on every query (and a superset when percent grows).
   */
  z.object({
    kind: z.literal('minimize'),
    column: ColumnTargetSchema,
    percent: z.number().gt(0).max(100).multipleOf(0.01),
  }),
  /** Only users acting under one of the purposes see rows (see the subscription variant). */
  z.object({ kind: z.literal('usingPurpose'), purposes: z.array(nonEmpty).min(1) }),
  /** A custom WHERE clause (placeholders @username, @groupsContains(col), …), parsed and re-emitted, never pasted. */
  z.object({ kind: z.literal('where'), clause: z.string().min(1).max(4000) }),
]);
export type RowFilterRule = z.infer<typeof RowFilterRuleSchema>;

const common = {
  id: nonEmpty,
  version: z.number().int().min(0),
  name: nonEmpty,
  createdAt: z.iso.datetime({ offset: true }),
  scope: ScopeSchema,
};

export const SubscriptionPolicySchema = z.object({
  ...common,
  type: z.literal('subscription'),
  access: SubscriptionAccessSchema,
});
export const MaskPolicySchema = z.object({
  ...common,
  type: z.literal('mask'),
  target: ColumnTargetSchema,
  mask: MaskFunctionSchema,
  condition: MaskConditionSchema.default({ kind: 'everyone' }),
  /**
   * Cell-level condition: a custom WHERE clause over the row (same grammar as the custom row filter). The
   * mask applies only in rows where it is true or unknown (NULL fails closed: masked); elsewhere everyone
   * sees the clear value.
   */
  where: z.string().min(1).optional(),
});
export const RowFilterPolicySchema = z.object({
  ...common,
  type: z.literal('rowFilter'),
  filter: RowFilterRuleSchema,
  /** Users matching this see every row. */
  exception: UserCriteriaSchema.optional(),
});

export const PolicySchema = z.discriminatedUnion('type', [
  SubscriptionPolicySchema,
  MaskPolicySchema,
  RowFilterPolicySchema,
]);

export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type SubscriptionPolicy = z.infer<typeof SubscriptionPolicySchema>;
export type MaskPolicy = z.infer<typeof MaskPolicySchema>;
export type RowFilterPolicy = z.infer<typeof RowFilterPolicySchema>;
