import type { Bus, BusEvent, Envelope } from './bus.js';

/**
 * In-process bus. Alone it is the single-node default; several LocalBus
 * instances on one LocalBusHub act as nodes of one cluster inside a process.
 */
export class LocalBusHub {
  readonly members = new Set<LocalBus>();

  deliver(envelope: Envelope): void {
    for (const bus of this.members) bus.receive(envelope);
  }
}

export class LocalBus implements Bus {
  private handler: ((event: BusEvent) => void) | undefined;

  constructor(
    readonly nodeId: string,
    private readonly hub?: LocalBusHub,
  ) {
    hub?.members.add(this);
  }

  get shared(): boolean {
    return this.hub !== undefined;
  }

  publish(event: BusEvent): void {
    // Delivered on a later turn, as a network bus would be.
    if (this.hub) queueMicrotask(() => this.hub!.deliver({ node: this.nodeId, event }));
  }

  subscribe(handler: (event: BusEvent) => void): void {
    this.handler = handler;
  }

  receive(envelope: Envelope): void {
    if (envelope.node !== this.nodeId) this.handler?.(envelope.event);
  }

  async close(): Promise<void> {
    this.hub?.members.delete(this);
  }
}
