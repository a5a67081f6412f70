// The search_path pin is one concept in one place: the dialects say how to pin and reset it (and how a
// SECURITY DEFINER routine pins its own), the transaction packer decides where a transaction needs it. No other
// file of the product's code (shared/, lambdas/) spells it, so no plan or runner can pin, forget or re-pin it
// on its own.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OWNERS = [
  'shared/sql/dialect.ts',
  'shared/sql/postgres-dialect.ts',
  'shared/sql/redshift-dialect.ts',
  'shared/sql/transaction-packer.ts',
];

const filesUnder = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));

describe('the search_path pin', () => {
  it('is spelled only by the dialects and the transaction packer in shared/ and lambdas/', () => {
    const files = [...filesUnder('shared'), ...filesUnder('lambdas')];
    expect(files.length).toBeGreaterThan(50);
    const spelling = files.filter((f) => /search_path/i.test(readFileSync(path.join(ROOT, f), 'utf8'))).sort();
    expect(spelling).toEqual([...OWNERS].sort());
  });
});
