import type { CloseReason, ConnectError } from './connection.js';
import { EXIT, PASSWORD_ENV, type ExitCode } from './options.js';
import { TLS_FAILURES } from './tls-failures.js';

// What the bin says when it cannot get in: a refused login or a failed
// connection, in words people understand. Pure, so tests and docs can check it.

/** Login refusals that exit with EXIT.LOGIN_REFUSED; BANNED exits with EXIT.REMOVED, any other refusal is a runtime error. */
export const REFUSALS: ReadonlySet<string> = new Set(['NAME_TAKEN', 'BAD_NAME', 'BAD_PASSWORD', 'PASSWORD_REQUIRED']);

/** The exit code for a login the server refused with `code`, at the start or on a reconnect. */
export function refusalExitCode(code: string): ExitCode {
  // A ban is the operators' decision, like a kick, not something the user's flags can fix.
  if (code === 'BANNED') return EXIT.REMOVED;
  return REFUSALS.has(code) ? EXIT.LOGIN_REFUSED : EXIT.RUNTIME;
}

/** The exit code once the connection has ended for good, in both front ends. */
export function exitCodeFor(reason: CloseReason): ExitCode {
  switch (reason.kind) {
    case 'quit':
      return EXIT.OK;
    case 'login-refused':
      return refusalExitCode(reason.code);
    case 'removed':
    case 'replaced':
      return EXIT.REMOVED;
    default:
      return EXIT.RUNTIME;
  }
}

export function loginFailureText(error: Pick<ConnectError, 'code' | 'message'>, name: string): string {
  switch (error.code) {
    case 'NAME_TAKEN':
      return `the name '${name}' is taken: someone with that name is online`;
    case 'BAD_NAME':
      return `the name '${name}' is not allowed: ${error.message}`;
    case 'BAD_PASSWORD':
      return `wrong password for '${name}'`;
    case 'PASSWORD_REQUIRED':
      return `'${name}' is a registered name and needs its password (--password-prompt, or ${PASSWORD_ENV} in scripts)`;
    case 'BANNED':
      return `cannot log in as '${name}': ${error.message} [BANNED]`;
    default:
      return `login refused: ${error.message} [${error.code}]`;
  }
}

/** Whether a failed connection is a TLS failure (EXIT.TLS_FAILED). */
export function isTlsFailure(error: Pick<ConnectError, 'code'>): boolean {
  return TLS_FAILURES.has(error.code);
}

export function connectFailureText(error: Pick<ConnectError, 'code' | 'message'>): string {
  if (isTlsFailure(error)) {
    const handshake = error.code.startsWith('ERR_SSL_');
    if (handshake) return `cannot connect over TLS: ${error.message} (is that the TLS port? the server listens for TLS on 65433 by default)`;
    return `cannot connect over TLS: the server's certificate could not be verified: ${error.message} (a private CA: --ca FILE; a test server: --insecure)`;
  }
  const hint = error.code === 'ECONNREFUSED' ? ' (is the server running? see --host and --port)' : '';
  return `cannot connect: ${error.message}${hint}`;
}
