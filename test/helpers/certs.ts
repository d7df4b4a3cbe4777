// TLS certificates made at run time with the openssl CLI, as an operator
// would make them: a private CA, and server certificates it signs for
// 127.0.0.1 and localhost. Nothing secret is committed.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir } from './server.js';

export interface CertFiles {
  dir: string;
  /** The CA's certificate: what a client trusts. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** SHA-256 fingerprint of certFile, as X509Certificate prints it. */
  fingerprint: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A fresh CA. */
export function makeCa(dir = makeTempDir('chat-tls-')): { dir: string; caFile: string; caKey: string } {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=pipechat test CA', '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
  return { dir, caFile: path.join(dir, 'ca.pem'), caKey: path.join(dir, 'ca.key') };
}

/** A server certificate signed by the CA, for `altNames` (127.0.0.1 and localhost), written as `<name>.pem` and `<name>.key`. */
export function makeServerCert(ca: { dir: string; caFile: string; caKey: string }, name = 'server', altNames = 'IP:127.0.0.1,DNS:localhost'): CertFiles {
  const { dir } = ca;
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${altNames}\n`);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.caFile, '-CAkey', ca.caKey, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
  const certFile = path.join(dir, `${name}.pem`);
  return { dir, caFile: ca.caFile, certFile, keyFile: path.join(dir, `${name}.key`), fingerprint: new X509Certificate(fs.readFileSync(certFile)).fingerprint256 };
}
