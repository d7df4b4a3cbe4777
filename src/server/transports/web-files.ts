import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The web page's files, read once at start into a table by URL path: only
// what is in the built app's folder can ever be served, so no request path
// (`..`, encoded slashes, NUL, symlinks) reaches anything else. Each answer
// carries its type, a validator for caching and the page's security headers.

/** The built page: dist/web of the package, whether this module runs from dist/ or (in tests) from src/. */
export const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/web');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Files past this are not the page's: a stray big file is not held in memory. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** And at most this many of them. */
const MAX_FILES = 500;

export interface WebFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** URL path (`/`, `/style.css`, `/js/web/main.js`) → file. */
export type WebFiles = ReadonlyMap<string, WebFile>;

/** Reads the app's folder; a missing folder is an empty table (the server says so when asked). */
export function loadWebFiles(root: string = WEB_ROOT): WebFiles {
  const files = new Map<string, WebFile>();
  const walk = (dir: string, prefix: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (files.size >= MAX_FILES || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      // Links are not followed: what is served is what the build wrote here.
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else if (entry.isFile()) {
        const type = TYPES[path.extname(entry.name).toLowerCase()];
        if (type === undefined) continue;
        const body = fs.readFileSync(full);
        if (body.length > MAX_FILE_BYTES) continue;
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        files.set(`${prefix}${entry.name}`, { body, type, etag });
      }
    }
  };
  walk(root, '/');
  const index = files.get('/index.html');
  if (index !== undefined) files.set('/', index);
  return files;
}

/**
 * The page's security headers. The Content-Security-Policy allows scripts,
 * styles and images from the page's own origin only (no inline script or
 * style), WebSocket connections to this host, and no framing, forms or
 * plugins.
 */
export function securityHeaders(host: string | undefined): Record<string, string> {
  const self = host !== undefined && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? ` ws://${host} wss://${host}` : '';
  return {
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'${self}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

/** The request target's path, undefined when it is not one a file could have (it is then a 404 or a 400). */
export function requestPath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/')) return undefined;
  const raw = url.split(/[?#]/, 1)[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  return decoded;
}
