// The parts of Immuta's V1 REST API the connector reads, as zod schemas. They are deliberately lenient
// (unknown fields pass, nested policy JSON stays `unknown` until map-policies.ts reads it) and cover only the
// fields we use; where each shape comes from (Immuta's pages, or public client code where the pages are
// silent) is listed in docs/immuta.md "Endpoints the connector reads". The fake Immuta serves these shapes.
import { z } from 'zod';

const id = z.union([z.number().int(), z.string().min(1)]).transform(String);
const text = z.string();
const when = z.string().optional().nullable();

/** A page of search results: `hits` (and usually `count`), paged with `size`/`offset`. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ count: z.number().optional(), hits: z.array(item) }).passthrough();

export const DataSourceSummarySchema = z
  .object({ id, name: text.optional(), deleted: z.boolean().optional(), blobHandlerType: text.optional() })
  .passthrough();

export const DataSourceSchema = z
  .object({
    id,
    name: text,
    sqlTableName: text.optional(),
    sqlSchemaName: text.optional(),
    remoteDatabase: text.optional().nullable(),
    remoteSchema: text.optional().nullable(),
    remoteTable: text.optional().nullable(),
    blobHandlerType: text.optional(),
    deleted: z.boolean().optional(),
    subscriptionType: text.optional().nullable(),
    subscriptionPolicy: z.unknown().optional(),
    createdAt: when,
    updatedAt: when,
  })
  .passthrough();
export type ImmutaDataSource = z.infer<typeof DataSourceSchema>;

const TagRefSchema = z.object({ name: text }).passthrough();

export const DictionarySchema = z
  .object({
    metadata: z.array(
      z
        .object({
          name: text,
          dataType: text.optional(),
          remoteType: text.optional(),
          tags: z.array(TagRefSchema).optional().nullable(),
        })
        .passthrough(),
    ),
  })
  .passthrough();
export type ImmutaDictionary = z.infer<typeof DictionarySchema>;

export const TagListSchema = z.array(TagRefSchema);

export const GlobalPolicySchema = z
  .object({
    id,
    name: text,
    type: text,
    actions: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]),
    circumstances: z.array(z.unknown()).optional().nullable(),
    circumstanceOperator: text.optional(),
    staged: z.boolean().optional(),
    deleted: z.boolean().optional(),
    disabled: z.boolean().optional(),
    createdAt: when,
    updatedAt: when,
  })
  .passthrough();
export type ImmutaGlobalPolicy = z.infer<typeof GlobalPolicySchema>;

/** The policy handler object of one data source: its local rules. */
export const PolicyHandlerSchema = z
  .object({ dataSourceId: id.optional(), jsonRules: z.array(z.unknown()) })
  .passthrough();

export const UserSchema = z
  .object({
    iamid: text,
    userid: text,
    disabled: z.boolean().optional(),
    profile: z
      .object({
        externalUserIds: z.record(z.string(), z.string().nullable()).optional().nullable(),
        currentProject: z.union([z.number(), z.string()]).optional().nullable(),
      })
      .passthrough()
      .optional()
      .nullable(),
    /** Attribute name → values (the BIM page's "authorizations": the user's attributes). */
    authorizations: z.record(z.string(), z.array(z.string())).optional().nullable(),
    updatedAt: when,
  })
  .passthrough();
export type ImmutaUser = z.infer<typeof UserSchema>;

export const MemberSchema = z.object({ userid: text, iamid: text.optional() }).passthrough();
export const GroupSchema = z.object({ id, name: text }).passthrough();
export const ProjectSchema = z
  .object({
    id,
    name: text,
    deleted: z.boolean().optional(),
    purposes: z
      .array(z.union([z.string(), z.object({ name: text }).passthrough()]))
      .optional()
      .nullable(),
  })
  .passthrough();
export const ProjectMemberSchema = MemberSchema.extend({ acknowledged: z.boolean().optional() });
/** A subscriber of a data source; `state` other than "subscribed" (e.g. "pending") grants nothing. */
export const AccessSchema = MemberSchema.extend({ state: text.optional() });

export const AuthenticateSchema = z.object({ token: text }).passthrough();
