// docs/diagnostics.md documents exactly the catalogue in shared/diagnostics/codes.ts: one section per code, in
// the catalogue's order, titled with the catalogue's text, each saying what it means, where it is raised, what
// the user should do and an example message; no other code is mentioned; README links the page.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../shared/diagnostics/codes.js';

const doc = readFileSync(new URL('../../docs/diagnostics.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const catalogue = Object.entries(DIAGNOSTIC_CODES) as [string, string][];

/** `### VG101 — title` headings and the text up to the next heading. */
function sections(markdown: string): { code: string; title: string; body: string }[] {
  const parts = markdown.split(/^(?=#{2,3} )/m);
  return parts.flatMap((part) => {
    const m = /^### (VG\d{3}) — (.+)\n([\s\S]*)$/.exec(part);
    return m ? [{ code: m[1]!, title: m[2]!.trim(), body: m[3]! }] : [];
  });
}

describe('docs/diagnostics.md', () => {
  const documented = sections(doc);

  it('has one section per catalogue code, in the catalogue order, and no other', () => {
    expect(documented.map((s) => s.code)).toEqual(catalogue.map(([code]) => code));
  });

  it('titles each section with the catalogue text', () => {
    expect(documented.map((s) => [s.code, s.title])).toEqual(catalogue);
  });

  it('says for each code what it means, where it is raised, what to do, and shows an example', () => {
    for (const s of documented) {
      for (const part of ['Meaning', 'Raised by', 'What to do', 'Example']) {
        expect(s.body, `${s.code}: ${part}`).toMatch(new RegExp(`^- \\*\\*${part}:\\*\\* \\S`, 'm'));
      }
      expect(s.body, `${s.code}: the example is a message in backticks`).toMatch(/^- \*\*Example:\*\* `[^`]+`/m);
    }
  });

  it('mentions no code that is not in the catalogue', () => {
    const mentioned = new Set(doc.match(/\bVG\d{3}\b/g));
    expect([...mentioned].filter((code) => !(code in DIAGNOSTIC_CODES))).toEqual([]);
  });

  it('is linked from the README documentation table', () => {
    expect(readme).toMatch(/^\| \[docs\/diagnostics\.md\]\(docs\/diagnostics\.md\) \|/m);
  });
});
