// docs/dialects.md "Evidence" has one row per Redshift construct we emit, and nothing else: a new construct
// cannot reach generated SQL without a row saying how we know Redshift takes it — executed on PostgreSQL (a test
// that exists), doc-verified (an AWS Redshift page) or proved on a cluster by a named conformance-check row.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { conformancePlan } from '../../shared/conformance/conformance-plan.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { emittedConstructs } from './emitted-constructs.js';

const doc = readFileSync(new URL('../../docs/dialects.md', import.meta.url), 'utf8');
const section = doc.split(/^## /m).find((s) => s.startsWith('Evidence'))!;
const rows = [...section.matchAll(/^\| `([^`]+)` \| ([^|]+) \| (.+) \|$/gm)].map((m) => ({
  key: m[1]!,
  what: m[2]!.trim(),
  evidence: m[3]!,
}));
const plan = conformancePlan(
  { mode: 'multi', database: 'immuta', viewSchema: 'secure', systemUser: 'u', rawSources: [] },
  redshift,
  {
    run: 'evidence',
    hashKey: 'k',
    otherDatabase: 'sales',
    external: { schema: 's', table: 't', columns: [{ name: 'id', type: 'int4' }] },
  },
);
const checkRows = new Set([...plan.steps, ...plan.cleanup].map((s) => s.id));

/** What is wrong with one row's evidence cell (empty when it is sound). */
function evidenceProblems(evidence: string): string[] {
  const problems: string[] = [];
  const parts = evidence.split('; ');
  for (const part of parts) {
    if (part.startsWith('executed: ')) {
      for (const [, file] of part.matchAll(/`([^`]+)`/g))
        if (!existsSync(new URL(`../../${file}`, import.meta.url))) problems.push(`no test ${file}`);
    } else if (part.startsWith('doc-verified: ')) {
      if (!/\]\(https:\/\/docs\.aws\.amazon\.com\/redshift\/latest\/(dg|mgmt)\/[A-Za-z0-9_-]+\.html\)$/.test(part))
        problems.push(`not an AWS Redshift page: ${part}`);
    } else if (part.startsWith('needs a cluster: ')) {
      for (const [, id] of part.matchAll(/check `([^`]+)`/g))
        if (!checkRows.has(id!)) problems.push(`no conformance row ${id}`);
    } else {
      problems.push(`unknown evidence "${part}"`);
    }
  }
  // Executed on PostgreSQL alone proves nothing about Redshift's spelling: a page or a cluster row must back it.
  if (!parts.some((p) => p.startsWith('doc-verified: ') || p.startsWith('needs a cluster: ')))
    problems.push('no AWS page and no cluster check');
  return problems;
}

describe('docs/dialects.md evidence table', () => {
  const emitted = emittedConstructs();

  it('has a row for every emitted construct and no row for one we do not emit', () => {
    expect(emitted.size).toBeGreaterThan(50);
    const keys = rows.map((r) => r.key);
    expect(new Set(keys).size, 'duplicate rows').toBe(keys.length);
    expect(
      [...emitted].filter((k) => !keys.includes(k)),
      'emitted without a row',
    ).toEqual([]);
    expect(
      keys.filter((k) => !emitted.has(k)),
      'rows for constructs never emitted',
    ).toEqual([]);
  });

  it('gives every row sound evidence', () => {
    const problems = rows.flatMap((r) => evidenceProblems(r.evidence).map((p) => `${r.key}: ${p}`));
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('control: an unknown check row, a missing test and a row without AWS evidence are caught', () => {
    expect(evidenceProblems('needs a cluster: check `no-such-row`')).toEqual(['no conformance row no-such-row']);
    expect(evidenceProblems('executed: `test/nope.test.ts`')).toEqual([
      'no test test/nope.test.ts',
      'no AWS page and no cluster check',
    ]);
  });
});
