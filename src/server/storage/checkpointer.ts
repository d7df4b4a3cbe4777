import { Worker } from 'node:worker_threads';

// WAL checkpoints off the event loop. A checkpoint copies the WAL's pages
// into the database file and syncs it: milliseconds of disk work that, left
// to SQLite's automatic checkpoints, would land inside some message's commit
// every few thousand messages and show up as latency spikes. The main
// connection turns automatic checkpoints off; this thread, with a connection
// of its own, runs a PASSIVE checkpoint (which never blocks the writer) every
// interval instead.

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage(String(err && err.message || err)); }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'stop') { clearInterval(timer); checkpoint(); db.close(); parentPort.postMessage('stopped'); }
});
`;

export const CHECKPOINT_INTERVAL_MS = 1000;

export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, driverPath: string, onError: (message: string) => void, intervalMs = CHECKPOINT_INTERVAL_MS) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver: driverPath, intervalMs } });
    this.worker.on('message', (message: unknown) => {
      if (message !== 'stopped') onError(String(message));
    });
    this.worker.on('error', (err) => onError(err.message));
    // The checkpoint thread must not keep the process alive.
    this.worker.unref();
  }

  /** Runs a last checkpoint and stops the thread. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.worker.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage('stop');
    });
    await this.worker.terminate();
  }
}
