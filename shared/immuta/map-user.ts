// An Immuta user → a v1 UserProfile keyed by the Redshift user name (what current_user returns), by a
// configurable rule (docs/immuta.md "User names"):
//   source  externalIdOrUserid (default): Immuta's external user id for Redshift when set, else the Immuta user id
//           externalId: only users with an external Redshift id get a profile; userid: always the Immuta user id
//   prefix  ''  | 'IAM:' | 'IAMR:' — what Redshift prepends for users signing in with IAM credentials
//   lowercase  fold to lower case (Redshift folds unquoted user names)
// A user the rule gives no name gets no profile (VG707, warning): no profile row = no access.
import { z } from 'zod';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { UserProfileInput } from '../policy/user-profile.js';
import type { ImmutaUser } from './api-shapes.js';

export const UserNameRuleSchema = z
  .object({
    source: z.enum(['externalIdOrUserid', 'externalId', 'userid']).default('externalIdOrUserid'),
    /** The key of the Redshift user name in the profile's `externalUserIds`. */
    externalIdKey: z.string().min(1).default('redshiftUser'),
    prefix: z.enum(['', 'IAM:', 'IAMR:']).default(''),
    lowercase: z.boolean().default(false),
  })
  .strict();
export type UserNameRule = z.infer<typeof UserNameRuleSchema>;

export function redshiftUserName(user: ImmutaUser, rule: UserNameRule): string | null {
  const external = user.profile?.externalUserIds?.[rule.externalIdKey];
  const base =
    rule.source === 'userid'
      ? user.userid
      : external && external.trim() !== ''
        ? external.trim()
        : rule.source === 'externalId'
          ? null
          : user.userid;
  if (base === null || base === '') return null;
  const named = base.startsWith(rule.prefix) ? base : `${rule.prefix}${base}`;
  return rule.lowercase ? named.toLowerCase() : named;
}

/** What the user's groups, projects and approvals are, read once per sync (fetch-state.ts). */
export interface UserContext {
  groupsOf(userKey: string): string[];
  /** Projects the user is a member of: name and whether they acknowledged its purposes. */
  projectsOf(userKey: string): { name: string; acknowledged: boolean }[];
  purposesOf(projectName: string): string[];
  projectName(idOrName: string): string | undefined;
  approvedDataSources(userKey: string): string[];
}

export const userKey = (iamid: string | undefined, userid: string): string => `${iamid ?? 'bim'}\u0000${userid}`;

export function mapUser(
  user: ImmutaUser,
  ctx: UserContext,
  rule: UserNameRule,
): { profile: UserProfileInput | null; diagnostics: Diagnostic[] } {
  if (user.disabled === true) return { profile: null, diagnostics: [] };
  const userId = redshiftUserName(user, rule);
  if (userId === null) {
    return {
      profile: null,
      diagnostics: [
        diagnostic(
          'VG707',
          `Immuta user ${JSON.stringify(user.userid)} has no Redshift user name under the rule (${rule.source}); ` +
            `no profile`,
          [],
          'warning',
        ),
      ],
    };
  }
  const key = userKey(user.iamid, user.userid);
  const projects = ctx.projectsOf(key);
  const current = user.profile?.currentProject;
  const currentProject = current === undefined || current === null ? null : (ctx.projectName(String(current)) ?? null);
  return {
    profile: {
      userId,
      version: 0,
      groups: [...new Set(ctx.groupsOf(key))].sort(),
      attributes: Object.fromEntries(
        Object.entries(user.authorizations ?? {}).map(([k, v]) => [k, [...new Set(v)].sort()]),
      ),
      projects: [...new Set(projects.map((p) => p.name))].sort(),
      currentProject,
      purposes: [...new Set(projects.filter((p) => p.acknowledged).flatMap((p) => ctx.purposesOf(p.name)))].sort(),
      projectPurposes: Object.fromEntries(projects.map((p) => [p.name, [...ctx.purposesOf(p.name)].sort()])),
      dataSources: [...new Set(ctx.approvedDataSources(key))].sort(),
    },
    diagnostics: [],
  };
}
