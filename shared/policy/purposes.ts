// Purposes and projects (Immuta's model): a project carries purposes; a user is a member of projects, has one
// current project and acknowledges purposes. The user ACTS UNDER a purpose when their current project is one
// of their projects, that project carries the purpose, and they acknowledged it. "Limit usage to purposes"
// policies (subscription / row filter `usingPurpose`, custom WHERE @isUsingPurpose) test exactly this.
//
// It is computed here, when the profile is written (a user event), and stored with the profile
// (profile-encoding.ts encodePurposes), so switching project or acknowledging a purpose is one CALL of
// apply_user and never DDL: every view reads the stored answer through user_profile.
import type { UserProfile } from './user-profile.js';

export function activePurposes(
  profile: Pick<UserProfile, 'projects' | 'currentProject' | 'purposes' | 'projectPurposes'>,
): string[] {
  const current = profile.currentProject;
  if (current === null || !profile.projects.includes(current)) return [];
  const carried = profile.projectPurposes?.[current] ?? [];
  // As stored (encodePurposes): a set, so order and repeats here do not matter.
  return carried.filter((p) => profile.purposes.includes(p));
}
