// Test support of the notify service: an HTTP receiver on loopback that records what it is sent
// and answers as a test tells it (a status, a delay, an answer body), and that can go away and come
// back on the same port.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface ReceiverBehaviour {
  status?: number;
  delayMs?: number;
  /** The answer's body (default empty), e.g. an Elasticsearch _bulk answer. */
  answer?: (r: Received) => string;
}

export class Receiver {
  readonly received: Received[] = [];
  behaviour: ReceiverBehaviour = {};
  #server: Server | undefined;
  #port = 0;
  #waiters: { n: number; resolve: () => void }[] = [];

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Listens (again) on its port, or on a free one the first time. */
  async start(port = this.#port): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        const b = this.behaviour;
        setTimeout(() => {
          const status = b.status ?? 200;
          // Recorded when answered 2xx only: what the receiver took.
          if (status >= 200 && status < 300) {
            this.received.push(r);
            for (const w of [...this.#waiters]) {
              if (this.received.length >= w.n) {
                this.#waiters.splice(this.#waiters.indexOf(w), 1);
                w.resolve();
              }
            }
          } else this.refused++;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(b.answer?.(r) ?? '');
        }, b.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Requests answered with a status that is not 2xx. */
  refused = 0;

  /** Resolves once `n` requests were taken, or rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs = 20_000): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        n,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      };
      const t = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(new Error(`receiver got ${this.received.length} of ${n} requests in ${timeoutMs}ms`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Stops listening and drops open connections (the port stays its port). */
  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
