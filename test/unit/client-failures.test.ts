import { describe, expect, it } from 'vitest';
import { exitCodeFor, loginFailureText, refusalExitCode } from '../../src/client/failures.js';
import { EXIT } from '../../src/client/options.js';

describe('login refusals and exit codes', () => {
  it('says why a banned login is refused, with the code', () => {
    expect(loginFailureText({ code: 'BANNED', message: 'bob is banned until lifted: spam' }, 'bob')).toBe(
      "cannot log in as 'bob': bob is banned until lifted: spam [BANNED]",
    );
    expect(loginFailureText({ code: 'BANNED', message: 'your address is banned until 2026-12-02T03:10:00Z' }, 'dave')).toBe(
      "cannot log in as 'dave': your address is banned until 2026-12-02T03:10:00Z [BANNED]",
    );
  });

  it('exits 5 for a ban at login as for a kick or ban while connected, 3 for the other refusals', () => {
    expect(refusalExitCode('BANNED')).toBe(EXIT.REMOVED);
    for (const code of ['NAME_TAKEN', 'BAD_NAME', 'BAD_PASSWORD', 'PASSWORD_REQUIRED']) expect(refusalExitCode(code)).toBe(EXIT.LOGIN_REFUSED);
    expect(refusalExitCode('SERVER_FULL')).toBe(EXIT.RUNTIME);
    expect(EXIT.REMOVED).toBe(5);

    expect(exitCodeFor({ kind: 'quit' })).toBe(EXIT.OK);
    expect(exitCodeFor({ kind: 'removed', action: 'kicked', by: 'alice', text: 'you were kicked by alice' })).toBe(EXIT.REMOVED);
    expect(exitCodeFor({ kind: 'removed', action: 'banned', by: 'alice', text: 'you were banned by alice until lifted' })).toBe(EXIT.REMOVED);
    expect(exitCodeFor({ kind: 'login-refused', code: 'BANNED', text: 'bob is banned until lifted' })).toBe(EXIT.REMOVED);
    expect(exitCodeFor({ kind: 'login-refused', code: 'BAD_PASSWORD', text: 'wrong password' })).toBe(EXIT.LOGIN_REFUSED);
    expect(exitCodeFor({ kind: 'gave-up', attempts: 10, error: 'connection refused' })).toBe(EXIT.RUNTIME);
  });
});
