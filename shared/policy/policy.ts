// Policy model v1. Three policy types share a common header; a policy is either global (applies to every
// data source carrying one of its tags, hierarchically) or local (one data source by id).
// Conflict rules live in applicable-policies.ts and docs/policies.md.
import { z } from 'zod';
import { TagSchema } from './tag.js';

const nonEmpty = z.string().min(1);

/** Who a condition or subscription rule matches. `match: 'any'` = at least one listed entitlement; 'all' = every one. */
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
  /** Global: applies to data sources (or columns, for masks/filters by tag) carrying one of `tags` or a tag under it. No tags = every data source. */
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
]);
export type SubscriptionAccess = z.infer<typeof SubscriptionAccessSchema>;

export const RowFilterRuleSchema = z.discriminatedUnion('kind', [
  /** Rows whose column value is one of the user's values of `attribute`. */
  z.object({ kind: z.literal('attributeMatch'), column: ColumnTargetSchema, attribute: nonEmpty }),
  /** Rows whose column value is one of the user's groups. */
  z.object({ kind: z.literal('groupMatch'), column: ColumnTargetSchema }),
  /** No rows (for anyone not excepted). */
  z.object({ kind: z.literal('never') }),
]);
export type RowFilterRule = z.infer<typeof RowFilterRuleSchema>;

const common = {
  id: nonEmpty,
  version: z.number().int().min(0),
  name: nonEmpty,
  createdAt: z.iso.datetime({ offset: true }),
  scope: ScopeSchema,
};

export const SubscriptionPolicySchema = z.object({ ...common, type: z.literal('subscription'), access: SubscriptionAccessSchema });
export const MaskPolicySchema = z.object({
  ...common,
  type: z.literal('mask'),
  target: ColumnTargetSchema,
  mask: MaskFunctionSchema,
  condition: MaskConditionSchema.default({ kind: 'everyone' }),
});
export const RowFilterPolicySchema = z.object({
  ...common,
  type: z.literal('rowFilter'),
  filter: RowFilterRuleSchema,
  /** Users matching this see every row. */
  exception: UserCriteriaSchema.optional(),
});

export const PolicySchema = z.discriminatedUnion('type', [SubscriptionPolicySchema, MaskPolicySchema, RowFilterPolicySchema]);

export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type SubscriptionPolicy = z.infer<typeof SubscriptionPolicySchema>;
export type MaskPolicy = z.infer<typeof MaskPolicySchema>;
export type RowFilterPolicy = z.infer<typeof RowFilterPolicySchema>;
