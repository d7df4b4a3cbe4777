import { FailureThrottle, type Clock } from './rate-limit.js';

// Who may try a password now. Wrong passwords are counted per address and
// per address and name, so an attacker's failures never stop the owner
// logging in from elsewhere. An attempt counts as a failure from the moment
// it starts (until its password proves right), and one address has at most
// one password check running (the others wait their turn, a few at most),
// so guesses sent all at once are no way round the limit, while users
// behind one address (a bouncer, a proxy, a household) still log in
// together. A name that many addresses keep guessing gets a slow brake
// instead of a lock: each further guess waits a delay that grows with the
// failures, and addresses the owner logged in from are spared it.
// Registrations are limited per address and in total, and hash one at a
// time, so a flood of them never queues a login's scrypt behind theirs.

export const FAILURE_WINDOW_MS = 60_000;
/** Failures from one address over all names, as a multiple of the per-name limit. */
export const ADDRESS_FACTOR = 3;
/** Failures on one name, from anywhere, before the brake applies… */
export const NAME_BRAKE_AFTER = 20;
/** …within this window. */
export const NAME_BRAKE_WINDOW_MS = 15 * 60_000;
/** The first braked guess waits this long; each further failure doubles it… */
export const NAME_BRAKE_FIRST_MS = 250;
/** …up to this. */
export const NAME_BRAKE_MAX_MS = 8_000;
/** New accounts from one address… */
export const REGISTRATIONS_PER_ADDRESS = 5;
/** …and from everywhere, within this window. */
export const REGISTRATIONS_TOTAL = 60;
export const REGISTRATION_WINDOW_MS = 10 * 60_000;
/** Registrations waiting for the one hashing slot, at most; more are refused. */
export const REGISTRATION_QUEUE = 16;
/** Password checks from one address waiting for the one running, at most; more are refused. */
export const CHECKS_WAITING_PER_ADDRESS = 8;
/** Names whose owners' addresses are remembered, at most (oldest forgotten first). */
const TRUSTED_MAX = 10_000;

export type LoginVerdict = { refused: true; reason: string } | { refused: false; delayMs: number };
export type PasswordCheck = { refused: true; reason: string } | { refused: false; right: boolean };

/**
 * The address an attacker cannot cheaply change: an IPv6 /64 is one
 * subscriber's, and IPv4-mapped IPv6 is the IPv4 address.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class LoginGuard {
  private readonly perAddressName: FailureThrottle;
  private readonly perAddress: FailureThrottle;
  private readonly perName: FailureThrottle;
  private readonly registrationsPerAddress: FailureThrottle;
  private readonly registrationsTotal: FailureThrottle;
  /** name key → addresses that logged in to it with its password. */
  private readonly trusted = new Map<string, Set<string>>();
  /** Addresses with a password check running, with the checks waiting for it. */
  private readonly checking = new Map<string, Array<() => void>>();
  /** The one registration hashing now, and those waiting for it. */
  private registering = false;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    clock: Clock,
    /** How a braked guess waits (tests pass a fake). */
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.perAddressName = new FailureThrottle(limit, FAILURE_WINDOW_MS, clock);
    this.perAddress = new FailureThrottle(limit * ADDRESS_FACTOR, FAILURE_WINDOW_MS, clock);
    this.perName = new FailureThrottle(NAME_BRAKE_AFTER, NAME_BRAKE_WINDOW_MS, clock);
    this.registrationsPerAddress = new FailureThrottle(REGISTRATIONS_PER_ADDRESS, REGISTRATION_WINDOW_MS, clock);
    this.registrationsTotal = new FailureThrottle(REGISTRATIONS_TOTAL, REGISTRATION_WINDOW_MS, clock);
  }

  /**
   * Checks a password for `nameKey` from `address` with `verify`, once the
   * address's turn comes: refused (too many failures, or too many waiting),
   * or whether it was right. The attempt counts as a failure from its start
   * until it proves right.
   */
  async checkPassword(address: string, nameKey: string, verify: () => Promise<boolean>): Promise<PasswordCheck> {
    const from = addressKey(address);
    const waiting = this.checking.get(from);
    if (waiting !== undefined) {
      if (waiting.length >= CHECKS_WAITING_PER_ADDRESS) {
        return { refused: true, reason: 'too many passwords from your address are being checked; try again in a moment' };
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      this.checking.set(from, []);
    }
    // This check holds the address's turn now; it passes it on when done.
    try {
      const verdict = this.check(address, nameKey);
      if (verdict.refused) return verdict;
      this.failed(address, nameKey);
      // A name under attack from many addresses: every guess waits (the owner's known addresses do not).
      if (verdict.delayMs > 0) await this.sleep(verdict.delayMs);
      const right = await verify();
      if (right) {
        this.perAddress.forgive(from);
        this.perName.forgive(nameKey);
        this.succeeded(address, nameKey);
      }
      return { refused: false, right };
    } finally {
      const next = this.checking.get(from)!.shift();
      if (next === undefined) this.checking.delete(from);
      else next();
    }
  }

  /** Whether `address` may register a new account now. */
  mayRegister(address: string): LoginVerdict {
    const from = addressKey(address);
    if (this.registrationsPerAddress.blocked(from)) {
      return { refused: true, reason: 'too many new accounts from your address; try again later' };
    }
    if (this.registrationsTotal.blocked('all') || this.waiting.length >= REGISTRATION_QUEUE) {
      return { refused: true, reason: 'too many new accounts at the moment; try again in a few minutes' };
    }
    return { refused: false, delayMs: 0 };
  }

  /** Runs one registration's hashing, one at a time; counts it against its address and the total. */
  async register<T>(address: string, work: () => Promise<T>): Promise<T> {
    this.registrationsPerAddress.fail(addressKey(address));
    this.registrationsTotal.fail('all');
    while (this.registering) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.registering = true;
    try {
      return await work();
    } finally {
      this.registering = false;
      this.waiting.shift()?.();
    }
  }

  /** Whether a password for `nameKey` from `address` may be checked, and after how long a wait. */
  check(address: string, nameKey: string): LoginVerdict {
    const from = addressKey(address);
    if (this.perAddressName.blocked(`${from}\u0000${nameKey}`) || this.perAddress.blocked(from)) {
      return { refused: true, reason: 'too many wrong passwords from your address; wait a minute and try again' };
    }
    if (this.trusted.get(nameKey)?.has(from)) return { refused: false, delayMs: 0 };
    const over = this.perName.count(nameKey) - NAME_BRAKE_AFTER;
    if (over < 0) return { refused: false, delayMs: 0 };
    return { refused: false, delayMs: Math.min(NAME_BRAKE_MAX_MS, NAME_BRAKE_FIRST_MS * 2 ** Math.min(over, 16)) };
  }

  failed(address: string, nameKey: string): void {
    const from = addressKey(address);
    this.perAddressName.fail(`${from}\u0000${nameKey}`);
    this.perAddress.fail(from);
    this.perName.fail(nameKey);
  }

  succeeded(address: string, nameKey: string): void {
    const from = addressKey(address);
    this.perAddressName.clear(`${from}\u0000${nameKey}`);
    let addresses = this.trusted.get(nameKey);
    if (addresses === undefined) {
      if (this.trusted.size >= TRUSTED_MAX) this.trusted.delete(this.trusted.keys().next().value!);
      addresses = new Set();
      this.trusted.set(nameKey, addresses);
    }
    // A few addresses per owner (home, work, phone); the newest kept.
    if (addresses.size >= 8) addresses.delete(addresses.values().next().value!);
    addresses.add(from);
  }

  /** Drops expired failures; call now and then. */
  sweep(): void {
    this.perAddressName.sweep();
    this.perAddress.sweep();
    this.perName.sweep();
    this.registrationsPerAddress.sweep();
    this.registrationsTotal.sweep();
  }
}
