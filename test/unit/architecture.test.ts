// The layering docs/ARCHITECTURE.md describes, held by a test: no import
// cycle in src/server (type-only imports count too), and only transport
// modules touch sockets.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/server.js';

const SERVER = path.join(repoRoot, 'src/server');
const SOCKET_MODULES = new Set(['net', 'node:net', 'tls', 'node:tls', 'dgram', 'node:dgram']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier a file imports or re-exports, type-only ones included. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(pattern)) found.push((match[1] ?? match[2] ?? match[3])!);
  return found;
}

function localGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const edges = importsOf(fs.readFileSync(file, 'utf8'))
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')))
      .filter((target) => target.startsWith(SERVER + path.sep));
    graph.set(file, edges);
  }
  return graph;
}

/** The first cycle found, as a list of files, or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    if (state.get(node) !== undefined) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the server layering', () => {
  const files = sourceFiles(SERVER);

  it('the import scanner sees type-only, re-exported and side-effect imports', () => {
    expect(importsOf("import type { A } from './a.js';\nexport { B } from './b.js';\nimport './c.js';\nimport {\n  D,\n} from 'node:net';").sort()).toEqual([
      './a.js',
      './b.js',
      './c.js',
      'node:net',
    ]);
  });

  it('the cycle finder finds a cycle', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    expect(findCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', []]]))).toBeUndefined();
  });

  it('src/server has no import cycle', () => {
    const cycle = findCycle(localGraph(files));
    expect(cycle?.map((file) => path.relative(SERVER, file))).toBeUndefined();
  });

  it('only transport modules import socket modules', () => {
    const offenders = files
      .filter((file) => importsOf(fs.readFileSync(file, 'utf8')).some((spec) => SOCKET_MODULES.has(spec)))
      .map((file) => path.relative(SERVER, file).split(path.sep).join('/'))
      .filter((file) => !file.startsWith('transports/'));
    expect(offenders).toEqual([]);
  });

  it('no test double ships in src', () => {
    const all = sourceFiles(path.join(repoRoot, 'src'));
    const doubles = all.filter((file) => /export class Fake\w+/.test(fs.readFileSync(file, 'utf8')));
    expect(doubles.map((file) => path.relative(repoRoot, file))).toEqual([]);
  });
});
