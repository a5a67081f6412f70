// How a userId must be spelled to be a Redshift user name, i.e. what current_user returns in the session of the
// person the profile is for (the profile row is keyed by it; docs/policies.md "User names"). A spelling that can
// never be such a name is accepted (the event is valid) but answered with VG508 warnings, because that user
// would silently see nothing.
//
// - Users of IAM identities are created by Redshift as `IAM:<user>` and `IAMR:<role>`
//   (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-access.html,
//   https://docs.aws.amazon.com/redshift/latest/mgmt/authorization-fas-spectrum.html); IAM Identity Center users
//   carry the namespace of the Redshift Identity Center application, `AWSIDC:` by default
//   (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-control-idp-connect.html).
// - GetClusterCredentials puts `IAM:` or `IAMA:` before the DbUser it signs in — a login prefix only; the database
//   user is DbUser itself (https://docs.aws.amazon.com/redshift/latest/mgmt/generating-iam-credentials-cli-api.html).
// - Other names are identifiers: at most 127 bytes, and folded to lower case unless
//   enable_case_sensitive_identifier is on (https://docs.aws.amazon.com/redshift/latest/dg/r_names.html,
//   https://docs.aws.amazon.com/redshift/latest/dg/r_enable_case_sensitive_identifier.html).
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';

/** The prefixes Redshift gives the users it creates for IAM users, IAM roles and Identity Center users. */
export const IDENTITY_PREFIXES = ['IAM:', 'IAMR:', 'AWSIDC:'] as const;

const MAX_NAME_BYTES = 127;

/** Why `userId` can never be (or, for upper case, is unlikely to be) a Redshift current_user; empty when it can. */
export function userNameProblems(userId: string): string[] {
  const problems: string[] = [];
  if (/[\u0000-\u001f\u007f]/.test(userId)) problems.push('contains a control character');
  const bytes = Buffer.byteLength(userId);
  if (bytes > MAX_NAME_BYTES) problems.push(`is ${bytes} bytes; Redshift names are at most ${MAX_NAME_BYTES}`);
  if (userId !== userId.trim()) problems.push('begins or ends with white space');
  const prefix = /^(iama|iamr|iam|awsidc):/i.exec(userId)?.[0];
  if (prefix?.toUpperCase() === 'IAMA:') {
    problems.push('starts with IAMA:, the login prefix GetClusterCredentials adds; current_user is the name after it');
  } else if (prefix !== undefined && !(IDENTITY_PREFIXES as readonly string[]).includes(prefix)) {
    problems.push(
      `starts with ${prefix}; Redshift names the users of IAM identities ${prefix.toUpperCase()}… (upper case)`,
    );
  } else if (prefix === undefined && /[A-Z]/.test(userId)) {
    problems.push(
      'has upper-case letters; Redshift folds user names to lower case unless enable_case_sensitive_identifier is on',
    );
  }
  return problems;
}

/** VG508 warnings for a userId at `path` (the event is still accepted). */
export function userNameWarnings(userId: string, path: (string | number)[]): Diagnostic[] {
  return userNameProblems(userId).map((why) =>
    diagnostic(
      'VG508',
      `userId ${JSON.stringify(userId)} ${why}: no Redshift session's current_user can equal it, so this profile ` +
        `matches nobody`,
      path,
      'warning',
    ),
  );
}
