/**
 * One turn's broadcast lines of a room, shared by every member. A broadcast
 * appends to the room's open batch in O(1) whatever the room's size; each
 * member holds a reference, and the lines are joined into one Buffer once,
 * at the flush, and that Buffer is written to every member.
 *
 * A batch closes when the room's membership changes or when any member gets
 * a line of its own after it: later broadcasts then go to a new batch, so
 * every member's lines keep their order.
 */
export class RoomBatch {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private joined: Buffer | undefined;
  closed = false;

  append(line: Buffer): void {
    this.chunks.push(line);
    this.bytes += line.length;
  }

  /** Takes lines back out (their message was not stored); only before the batch is joined. */
  retract(lines: ReadonlySet<Buffer>): void {
    if (this.joined !== undefined) return;
    const kept = this.chunks.filter((chunk) => !lines.has(chunk));
    if (kept.length === this.chunks.length) return;
    this.chunks = kept;
    this.bytes = kept.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  get empty(): boolean {
    return this.joined === undefined ? this.chunks.length === 0 : this.joined.length === 0;
  }

  /** The batch's lines as one Buffer, joined on first use. */
  buffer(): Buffer {
    if (this.joined === undefined) {
      this.joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
      this.chunks = [];
      this.closed = true;
    }
    return this.joined;
  }
}
