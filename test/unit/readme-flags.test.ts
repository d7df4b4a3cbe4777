import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flagTableMarkdown, OPTION_TABLE } from '../../src/server/options.js';

describe('README flag table', () => {
  it('matches the option table that drives the CLI', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split('<!-- flags:start -->')[1]?.split('<!-- flags:end -->')[0]?.trim();
    expect(section).toBe(flagTableMarkdown());
    for (const spec of OPTION_TABLE) expect(section).toContain(spec.flag);
  });
});
