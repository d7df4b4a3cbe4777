import http from 'node:http';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

// The operator's HTTP door: GET /metrics (Prometheus text) and GET /healthz
// (200 when the server takes connections and its store takes writes, 503
// with the reason otherwise). Nothing else; on its own port, loopback by
// default.

/** A scraper or a probe that does not finish its request in this time is cut off. */
const REQUEST_TIMEOUT_MS = 10_000;

export class MetricsListener {
  private readonly server: http.Server;

  constructor(
    private readonly options: { host: string; port: number },
    metrics: Metrics,
    log: Logger,
  ) {
    this.server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?', 1)[0];
      const head = req.method === 'HEAD';
      const answer = (status: number, type: string, body: string, extra: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
        res.end(head ? undefined : body);
      };
      if (url !== '/metrics' && url !== '/healthz') return answer(404, 'text/plain; charset=utf-8', 'not found: try /metrics or /healthz\n');
      if (req.method !== 'GET' && !head) return answer(405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
      const work =
        url === '/metrics'
          ? metrics.scrape().then((text) => answer(200, metrics.contentType, text))
          : metrics.health().then((health) =>
              health.ok ? answer(200, 'text/plain; charset=utf-8', 'ok\n') : answer(503, 'text/plain; charset=utf-8', `unavailable: ${health.reason}\n`),
            );
      work.catch((err: unknown) => {
        log.error('metrics-failed', { path: url, error: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) answer(500, 'text/plain; charset=utf-8', 'internal error\n');
      });
    });
    this.server.requestTimeout = REQUEST_TIMEOUT_MS;
    this.server.headersTimeout = REQUEST_TIMEOUT_MS;
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(Object.assign(err, { port: this.options.port }));
      this.server.once('error', onError);
      this.server.listen({ port: this.options.port, host: this.options.host }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
