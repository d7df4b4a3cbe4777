import { addressKey } from './login-guard.js';

// Users who left this node recently and the address they used (as the
// login guard keys it), so a ban of someone who has just gone still
// catches the address. Bounded: the oldest is forgotten first.

/** Recent departures: name key → address. */
export class DepartedAddresses {
  private readonly addresses = new Map<string, string>();

  constructor(private readonly capacity = 10_000) {}

  remember(key: string, address: string): void {
    this.addresses.delete(key);
    if (this.addresses.size >= this.capacity) this.addresses.delete(this.addresses.keys().next().value!);
    this.addresses.set(key, addressKey(address));
  }

  get(key: string): string | undefined {
    return this.addresses.get(key);
  }
}

