// docs/operations.md shows real output: each sample block must equal what the command prints in the scenario
// of test/operations/operations-doc.ts (regenerate with `npx tsx test/operations/operations-doc.ts --write`).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOC_PATH, renderedDoc, samples, sampleStart, type Sample } from './operations-doc.js';

describe('docs/operations.md samples', () => {
  let all: Sample[];
  beforeAll(async () => {
    all = await samples();
  });

  it('every subcommand has a sample, and each sample is the real output', () => {
    const doc = readFileSync(DOC_PATH, 'utf8');
    expect(all.map((s) => s.name)).toEqual(['explain', 'plan', 'drift', 'drift-repair', 'audit', 'rebuild']);
    for (const s of all) expect(doc).toContain(sampleStart(s.name));
    expect(renderedDoc(doc, all)).toBe(doc);
  });

  it('the samples show what each command is for (and the exit codes the page documents)', () => {
    const byName = new Map(all.map((s) => [s.name, s]));
    expect(byName.get('explain')!.exitCode).toBe(0);
    expect(byName.get('drift')!.output.join('\n')).toMatch(/view-edited\s+secure\.customers/);
    expect(byName.get('drift')!.exitCode).toBe(1);
    expect(byName.get('drift-repair')!.output.at(-1)).toBe('after the repair: no drift');
    expect(byName.get('audit')!.output.join('\n')).toMatch(/read-raw\s+alice\s+raw\.customers/);
    expect(byName.get('audit')!.exitCode).toBe(1);
    expect(byName.get('plan')!.output[0]).toMatch(/1 replaced/);
  });
});
