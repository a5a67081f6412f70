import { describe, expect, it } from 'vitest';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';

describe('integration config', () => {
  it('multi mode defaults the database to immuta and the system user', () => {
    expect(
      parseIntegrationConfig({
        mode: 'multi',
        viewSchema: 'secure',
        rawSources: [{ database: 'sales', schema: 'raw' }, { schema: 'x' }],
      }),
    ).toEqual({
      ok: true,
      value: {
        mode: 'multi',
        database: 'immuta',
        viewSchema: 'secure',
        systemUser: 'immuta_system_user',
        rawSources: [
          { database: 'sales', schema: 'raw' },
          { database: 'immuta', schema: 'x' },
        ],
      },
    });
  });

  it('single mode needs its database and reads only from it', () => {
    const r = parseIntegrationConfig({
      mode: 'single',
      viewSchema: 'secure',
      rawSources: [{ database: 'other', schema: 'raw' }],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((x) => [x.code, x.path])).toEqual([
      ['VG204', ['database']],
      ['VG204', ['rawSources', 0, 'database']],
    ]);
  });

  it('rejects reserved and empty names, unknown fields, a raw schema that is ours; paths are prefixed', () => {
    const r = parseIntegrationConfig(
      {
        mode: 'single',
        database: 'dev',
        viewSchema: 'immuta_system',
        systemUser: '',
        rawSources: [{ schema: 'immuta_functions' }],
        extra: 1,
      },
      ['config'],
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.diagnostics.map((x) => x.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['config.systemUser', 'config']));
    expect(r.diagnostics.every((x) => x.code === 'VG204' && x.severity === 'error')).toBe(true);
  });

  it('reports refinement problems once the shape is valid', () => {
    const r = parseIntegrationConfig({
      mode: 'single',
      database: 'dev',
      viewSchema: 'immuta_system',
      rawSources: [{ schema: 'immuta_functions' }],
    });
    expect(r.ok ? [] : r.diagnostics.map((x) => x.path.join('.'))).toEqual(['viewSchema', 'rawSources.0.schema']);
  });
});
