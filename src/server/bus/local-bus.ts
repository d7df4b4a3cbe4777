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
  private queue: BusEvent[] = [];
  private readonly rooms = new Set<string>();

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
    if (this.hub) this.queue.push(event);
  }

  flush(): void {
    if (this.queue.length === 0) return;
    const queue = this.queue;
    this.queue = [];
    // Delivered on a later turn, as a network bus would be.
    setImmediate(() => {
      for (const event of queue) this.hub!.deliver({ node: this.nodeId, event });
    });
  }

  watchRoom(roomKey: string): void {
    this.rooms.add(roomKey);
  }

  unwatchRoom(roomKey: string): void {
    this.rooms.delete(roomKey);
  }

  subscribe(handler: (event: BusEvent) => void): void {
    this.handler = handler;
  }

  receive(envelope: Envelope): void {
    if (envelope.node === this.nodeId) return;
    const event = envelope.event;
    if (event.kind === 'room' && !this.rooms.has(event.roomKey)) return;
    if (event.kind === 'user' && event.node !== this.nodeId) return;
    this.handler?.(event);
  }

  async close(): Promise<void> {
    this.hub?.members.delete(this);
  }
}
