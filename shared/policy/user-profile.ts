// A user's entitlements as the control plane sends them; stored in immuta_system.profile (one row per user,
// keyed by the Redshift user name) and read by every view through immuta_system.user_profile.
import { z } from 'zod';

export const UserProfileSchema = z.object({
  /** The Redshift user name (what current_user returns). */
  userId: z.string().min(1),
  version: z.number().int().min(0),
  groups: z.array(z.string().min(1)).default([]),
  attributes: z.record(z.string().min(1), z.array(z.string())).default({}),
  projects: z.array(z.string().min(1)).default([]),
  currentProject: z.string().min(1).nullable().default(null),
  /** Purposes the user acknowledged. */
  purposes: z.array(z.string().min(1)).default([]),
  /**
   * The purposes each of the user's projects carries (project id → purposes). Optional (v1 payloads have
   * none): the user then acts under no purpose. See shared/policy/purposes.ts.
   */
  projectPurposes: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
  /** Data source ids the user was individually approved for (subscription access 'approved'). */
  dataSources: z.array(z.string().min(1)).default([]),
});

export type UserProfile = z.infer<typeof UserProfileSchema>;
export type UserProfileInput = z.input<typeof UserProfileSchema>;
