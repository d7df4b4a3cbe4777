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

export class Admission {
  private total = 0;
  /** Connections refused so far (SERVER_FULL), for the metrics. */
  refused = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(private limits: AdmissionLimits) {}

  /** The limits now (another gate held to the same ones follows a reload through this). */
  get current(): AdmissionLimits {
    return this.limits;
  }

  /** New limits (settings read again): connections already in stay, new ones are held to these. */
  update(limits: AdmissionLimits): void {
    this.limits = limits;
  }

  get connections(): number {
    return this.total;
  }

  /** Admits a connection from `address` (undefined), or says why not; release(address) once it closes. */
  admit(address: string): string | undefined {
    if (this.total >= this.limits.cap) {
      this.refused++;
      return 'the server is full; try again later';
    }
    const count = this.perAddress.get(address) ?? 0;
    if ((this.limits.limitLoopback || !isLoopback(address)) && count >= this.limits.maxPerIp) {
      this.refused++;
      return `too many connections from ${address}`;
    }
    this.total++;
    this.perAddress.set(address, count + 1);
    return undefined;
  }

  /** An admitted connection from `address` closed; nothing when none is held. */
  release(address: string): void {
    const count = this.perAddress.get(address);
    if (count === undefined) return;
    this.total--;
    if (count <= 1) this.perAddress.delete(address);
    else this.perAddress.set(address, count - 1);
  }
}
