// Who may connect: a total cap (--max-connections, or less where the
// open-file limit would not allow it) and a cap per address. Shared by
// every transport, so a client cannot get around it by changing doors.

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export interface AdmissionLimits {
  /** Connections in all. */
  cap: number;
  maxPerIp: number;
  /** Whether loopback addresses are held to maxPerIp too. */
  limitLoopback: boolean;
}

export type Admitted = { ok: true; release(): void } | { ok: false; reason: string };

export class Admission {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly limits: AdmissionLimits) {}

  get connections(): number {
    return this.total;
  }

  /** Admits a connection from `address`, or says why not; release() once it closes. */
  admit(address: string): Admitted {
    if (this.total >= this.limits.cap) return { ok: false, reason: 'the server is full; try again later' };
    const count = this.perAddress.get(address) ?? 0;
    if ((this.limits.limitLoopback || !isLoopback(address)) && count >= this.limits.maxPerIp) {
      return { ok: false, reason: `too many connections from ${address}` };
    }
    this.total++;
    this.perAddress.set(address, count + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left <= 0) this.perAddress.delete(address);
        else this.perAddress.set(address, left);
      },
    };
  }
}
