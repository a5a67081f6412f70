// Every source file is as the formatter writes it (prettier with .prettierrc.json; `npm run format` rewrites,
// `npm run format:check` lists) and no line of it is longer than 120 characters. The formatter's print width is
// a target it cannot always reach (a long string, comment or regex stays whole), so the length is its own check.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAX_LINE = 120;
const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  'cdk.out',
  'coverage',
  'dist',
  'reports',
  '.stryker-tmp',
  '.data',
  '.pg-test',
]);

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) out.push(...(await sourceFiles(full)));
    } else if (CODE.test(entry.name)) out.push(full);
  }
  return out;
}

const files = await sourceFiles(ROOT);
const ignorePath = path.join(ROOT, '.prettierignore');

describe('source formatting', () => {
  it('finds the source files', () => {
    expect(files.map((f) => path.relative(ROOT, f))).toEqual(
      expect.arrayContaining([
        'shared/sql/dialect.ts',
        'infra/stack/viewguard-stack.ts',
        'test/style/formatting.test.ts',
      ]),
    );
  });

  it('every source file is formatted (run `npm run format`)', { timeout: 600_000 }, async () => {
    const unformatted: string[] = [];
    let checked = 0;
    for (const file of files) {
      const info = await prettier.getFileInfo(file, { ignorePath });
      if (info.ignored) continue;
      checked++;
      const options = { ...(await prettier.resolveConfig(file)), filepath: file };
      if (!(await prettier.check(await readFile(file, 'utf8'), options))) unformatted.push(path.relative(ROOT, file));
    }
    expect(checked).toBe(files.length); // no source file is ignored
    expect(unformatted).toEqual([]);
  });

  it(`no line is longer than ${MAX_LINE} characters`, async () => {
    const long: string[] = [];
    for (const file of files) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        const length = [...line].length;
        if (length > MAX_LINE) long.push(`${path.relative(ROOT, file)}:${i + 1} (${length})`);
      });
    }
    expect(long).toEqual([]);
  });
});
