// The import direction between the top-level folders: shared/ is the domain and imports none of the others;
// lambdas/ (the functions) and infra/ (the stack, the CLI, local mode) both build on shared/ and never import
// each other; no product folder imports test/ or bench/; shared/ reaches AWS only in its warehouse adapters; and
// the folders form no cycle. Imports are read with the TypeScript compiler's own pre-processor (static, re-export
// and dynamic imports alike), not by pattern.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FOLDERS = ['shared', 'lambdas', 'infra', 'test', 'bench', 'schemas'] as const;
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Forbidden edges: importer folder → the folders it must not import. */
const FORBIDDEN: Record<string, readonly string[]> = {
  shared: ['infra', 'lambdas', 'test', 'bench'],
  lambdas: ['infra', 'test', 'bench'],
  infra: ['lambdas', 'test', 'bench'],
};

interface Edge {
  from: string;
  to: string;
  file: string;
  specifier: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && SOURCE.test(e.name) && !e.parentPath.split(path.sep).includes('node_modules'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** Every relative import of the project's source files that crosses from one top-level folder into another. */
function crossFolderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const folder of FOLDERS) {
    for (const file of sourceFiles(folder)) {
      const { importedFiles } = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
      for (const { fileName: specifier } of importedFiles) {
        if (!specifier.startsWith('.')) continue;
        const to = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier)).split(path.sep)[0]!;
        if (to !== folder) edges.push({ from: folder, to, file, specifier });
      }
    }
  }
  return edges;
}

/** The strongly connected groups of two or more folders (Tarjan), each sorted. */
function folderCycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do group.push((w = stack.pop()!));
    while (w !== v);
    if (group.length > 1) cycles.push(group.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

function folderGraph(edges: readonly Edge[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!(FOLDERS as readonly string[]).includes(to)) continue;
    graph.set(from, (graph.get(from) ?? new Set()).add(to));
  }
  return graph;
}

describe('imports between top-level folders', () => {
  const edges = crossFolderEdges();

  it('reads the imports it checks (static, re-export and dynamic)', () => {
    const seen = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
    expect(seen('lambdas', 'shared')).toBe(true);
    expect(seen('infra', 'shared')).toBe(true);
    expect(seen('test', 'infra')).toBe(true);
    const { importedFiles } = ts.preProcessFile(
      "export { a } from './a.js'; await import('./b.js'); import c from './c.js';",
      true,
      true,
    );
    expect(importedFiles.map((f) => f.fileName).sort()).toEqual(['./a.js', './b.js', './c.js']);
  });

  it('shared/ imports nothing above it; lambdas/ and infra/ never import each other, test/ or bench/', () => {
    const violations = edges
      .filter((e) => FORBIDDEN[e.from]?.includes(e.to))
      .map((e) => `${e.file} imports ${e.specifier}`);
    expect(violations).toEqual([]);
  });

  it('shared/ reaches AWS only through its warehouse adapters (shared/adapters/)', () => {
    const outside = sourceFiles('shared')
      .filter((file) => !file.startsWith(path.join('shared', 'adapters') + path.sep))
      .flatMap((file) => {
        const { importedFiles } = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
        return importedFiles
          .filter((f) => f.fileName.startsWith('@aws-sdk/'))
          .map((f) => `${file} imports ${f.fileName}`);
      });
    expect(outside).toEqual([]);
  });

  it('the top-level folders form no cycle', () => {
    expect(folderCycles(folderGraph(edges))).toEqual([]);
  });

  it('the cycle finder reports a cycle through several folders and nothing for a chain', () => {
    const g = (pairs: [string, string][]) =>
      folderGraph(pairs.map(([from, to]) => ({ from, to, file: '', specifier: '' })));
    expect(
      folderCycles(
        g([
          ['infra', 'lambdas'],
          ['lambdas', 'shared'],
          ['shared', 'infra'],
          ['test', 'shared'],
        ]),
      ),
    ).toEqual([['infra', 'lambdas', 'shared']]);
    expect(
      folderCycles(
        g([
          ['test', 'infra'],
          ['infra', 'shared'],
          ['lambdas', 'shared'],
          ['bench', 'test'],
        ]),
      ),
    ).toEqual([]);
  });
});
