// The Lambda bundles alias `zod` to infra/bundling/zod-without-locales.mjs to drop ~250 KB of locale catalogues.
// The alias must be the same API: every export of zod (and of z.core) except `locales`, behaving the same.
import { describe, expect, it } from 'vitest';
import * as real from 'zod';
// @ts-expect-error — plain ESM without type declarations (bundling helper, not compiled by tsc)
import * as lean from '../../infra/bundling/zod-without-locales.mjs';

const names = (o: object, drop: string) =>
  Object.keys(o)
    .filter((k) => k !== drop)
    .sort();

describe('zod without locales', () => {
  it('exports everything zod exports except locales', () => {
    expect(names(lean, 'locales')).toEqual(names(real, 'locales'));
    expect(Object.keys(lean)).not.toContain('locales');
    expect(names(lean.z, 'locales')).toEqual(names(real.z, 'locales'));
    expect(names(lean.core, 'locales')).toEqual(names(real.core, 'locales'));
    expect(Object.keys(lean.core)).not.toContain('locales');
    expect(lean.default).toBe(lean.z);
  });

  it('is the same zod: same classes, English messages, JSON Schema export', () => {
    expect(lean.z.ZodObject).toBe(real.z.ZodObject);
    const schema = lean.z.object({ id: lean.z.string().min(1), version: lean.z.number().int() }).strict();
    const bad = schema.safeParse({ id: '', version: 1.5, extra: true });
    expect(bad.success).toBe(false);
    const realBad = real.z
      .object({ id: real.z.string().min(1), version: real.z.number().int() })
      .strict()
      .safeParse({ id: '', version: 1.5, extra: true });
    expect(bad.error!.issues.map((i: { message: string }) => i.message)).toEqual(
      realBad.error!.issues.map((i) => i.message),
    );
    expect(bad.error!.issues[0].message).toMatch(/^Too small/);
    expect(lean.z.toJSONSchema(schema)).toEqual(
      real.z.toJSONSchema(real.z.object({ id: real.z.string().min(1), version: real.z.number().int() }).strict()),
    );
  });
});
