// docs/policies.md cannot drift: its "Examples (generated)" section must equal the rendering of the same
// fixtures the engine tests assert (test/breadth/policy-doc-examples.ts). Regenerate with
//   npx tsx test/breadth/policy-doc-examples.ts --write
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, END, START, examples, policyOf, renderedDoc } from '../breadth/policy-doc-examples.js';

describe('docs/policies.md examples', () => {
  const doc = readFileSync(DOC_PATH, 'utf8');

  it('the generated section is up to date', () => {
    expect(doc).toContain(START);
    expect(doc).toContain(END);
    expect(renderedDoc(doc)).toBe(doc);
  });

  it('every policy-breadth kind has an example', () => {
    const kinds = new Set(
      examples.map((e) => {
        const p = policyOf(e);
        if (p.type === 'mask') return `mask:${p.mask.kind}${p.where ? '+where' : ''}`;
        if (p.type === 'rowFilter') return `rowFilter:${p.filter.kind}`;
        return `subscription:${p.access.kind}`;
      }),
    );
    for (const k of [
      'mask:regex',
      'mask:round',
      'mask:partial',
      'mask:null+where',
      'rowFilter:values',
      'rowFilter:timeWindow',
      'rowFilter:minimize',
      'rowFilter:usingPurpose',
      'rowFilter:where',
      'subscription:usingPurpose',
    ]) {
      expect(kinds, k).toContain(k);
    }
  });

  it('every custom WHERE placeholder appears in an example', () => {
    const clauses = examples.map((e) => JSON.stringify(e.policy)).join('\n');
    for (const ph of [
      '@attributeValuesContains(',
      '@groupsContains(',
      '@isInGroups(',
      '@hasAttribute(',
      '@isUsingPurpose(',
      '@columnTagged(',
    ])
      expect(clauses).toContain(ph);
  });
});
