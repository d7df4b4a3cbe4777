import { readFileSync } from 'node:fs';

/** The package's version, as `--version` and IRC's 002 and 004 say it. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
