#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with
// the most self time, as a share of the busy (non-idle) time, and the same
// grouped by file. Used for the "where the time goes" part of
// docs/BENCHMARKS.md. Usage: profile-summary <file.cpuprofile> [top=25]

import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

/** Self time per function and per file, busy time only (idle excluded). */
export function summarise(profile: Profile): { busyMs: number; idleMs: number; functions: SelfTime[]; files: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, SelfTime>();
  const file = new Map<string, SelfTime>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) return;
    if (frame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    busy += dt;
    const where = frame.url === '' ? '' : `${frame.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:')}:${frame.lineNumber + 1}`;
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const key = `${name} ${where}`;
    const f = fn.get(key) ?? { name, where, ms: 0, share: 0 };
    f.ms += dt;
    fn.set(key, f);
    const fileKey = frame.url !== '' ? frame.url.replace(/^.*\/(dist|node_modules)\//, '$1/') : name.startsWith('(') ? name : '(native code: socket writes, buffers)';
    const g = file.get(fileKey) ?? { name: fileKey, where: '', ms: 0, share: 0 };
    g.ms += dt;
    file.set(fileKey, g);
  });
  const rank = (m: Map<string, SelfTime>): SelfTime[] =>
    [...m.values()].map((s) => ({ ...s, share: busy === 0 ? 0 : s.ms / busy })).sort((a, b) => b.ms - a.ms);
  return { busyMs: busy, idleMs: idle, functions: rank(fn), files: rank(file) };
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const path = process.argv[2];
  if (path === undefined) {
    process.stderr.write('usage: profile-summary <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const s = summarise(JSON.parse(fs.readFileSync(path, 'utf8')) as Profile);
  const pct = (x: number): string => `${(x * 100).toFixed(1).padStart(5)} %`;
  process.stdout.write(`busy ${(s.busyMs / 1000).toFixed(2)} s, idle ${(s.idleMs / 1000).toFixed(2)} s\n\nself time by function:\n`);
  for (const f of s.functions.slice(0, top)) process.stdout.write(`${pct(f.share)}  ${f.name}  ${f.where}\n`);
  process.stdout.write('\nself time by file:\n');
  for (const f of s.files.slice(0, 15)) process.stdout.write(`${pct(f.share)}  ${f.name}\n`);
}
