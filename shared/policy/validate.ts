// Parse helpers: user input becomes a typed value or coded diagnostics with the JSON path of every zod
// issue (terraform-style), never an exception.
import type { z } from 'zod';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { DiagnosticCode } from '../diagnostics/codes.js';
import { issuesToDiagnostics } from '../diagnostics/zod-issues.js';
import { DataSourceSchema, type DataSource } from './data-source.js';
import { PolicySchema, type Policy } from './policy.js';
import { UserProfileSchema, type UserProfile } from './user-profile.js';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; diagnostics: Diagnostic[] };

function parseWith<T>(
  schema: z.ZodType<T>,
  code: DiagnosticCode,
  what: string,
  input: unknown,
  basePath: (string | number)[],
): ParseResult<T> {
  const r = schema.safeParse(input);
  return r.success
    ? { ok: true, value: r.data }
    : { ok: false, diagnostics: issuesToDiagnostics(code, r.error, { what, basePath }) };
}

export const parseDataSource = (input: unknown, basePath: (string | number)[] = []): ParseResult<DataSource> =>
  parseWith(DataSourceSchema, 'VG201', 'invalid data source', input, basePath);

export const parsePolicy = (input: unknown, basePath: (string | number)[] = []): ParseResult<Policy> =>
  parseWith(PolicySchema, 'VG202', 'invalid policy', input, basePath);

export const parseUserProfile = (input: unknown, basePath: (string | number)[] = []): ParseResult<UserProfile> =>
  parseWith(UserProfileSchema, 'VG203', 'invalid user profile', input, basePath);
