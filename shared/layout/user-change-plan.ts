// An entitlement change is exactly one statement and no DDL: a CALL of apply_user / delete_user with the
// profile encoded (profile-encoding.ts) and bound as parameters.
import type { Dialect } from '../sql/dialect.js';
import { planned, type PlannedStatement } from '../sql/statement.js';
import type { UserProfile } from '../policy/user-profile.js';
import { activePurposes } from '../policy/purposes.js';
import { encodeAttributes, encodeList, encodePurposes } from './profile-encoding.js';
import { procedureArgs } from './routine-definitions.js';
import { callStatement } from './state-call-plan.js';
import { PROCEDURES } from './warehouse-objects.js';

export function planUserUpsert(profile: UserProfile, dialect: Dialect): PlannedStatement {
  const call = callStatement(
    dialect,
    PROCEDURES.applyUser,
    procedureArgs(dialect).applyUser,
    {
      p_userid: profile.userId,
      p_version: profile.version,
      p_groups: encodeList(profile.groups),
      p_attributes: encodeAttributes(profile.attributes),
      p_projects: encodeList(profile.projects),
      p_current_project: profile.currentProject,
      // acknowledged purposes + the ones the user acts under now (policy/purposes.ts): a project switch is a profile
      // update
      p_purposes: encodePurposes(profile.purposes, activePurposes(profile)),
      p_datasources: encodeList(profile.dataSources),
    },
    `user ${profile.userId} v${profile.version}`,
  );
  return planned('state', call);
}

export function planUserDelete(userId: string, version: number, dialect: Dialect): PlannedStatement {
  return planned(
    'state',
    callStatement(
      dialect,
      PROCEDURES.deleteUser,
      procedureArgs(dialect).deleteUser,
      { p_userid: userId, p_version: version },
      `user ${userId} v${version} (deleted)`,
    ),
  );
}
