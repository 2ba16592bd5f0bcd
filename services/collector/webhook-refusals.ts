// What the webhook logs about a request it refuses: who (the peer's address) and why, never with
// what credential; at most one line per peer and kind per interval, counting the rest.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../packages/runtime/index.js';
import { PeerLogLimit } from '../../packages/runtime/index.js';

const peerOf = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown';

export class WebhookRefusals {
  readonly #limit: PeerLogLimit;

  constructor(
    readonly logger: Logger,
    intervalMs?: number,
  ) {
    this.#limit = new PeerLogLimit(intervalMs);
  }

  /** A 401: no credential, or one not accepted (which one is never logged). */
  unauthorized(req: IncomingMessage): void {
    const credentials = req.headers.authorization === undefined ? 'none' : 'not accepted';
    this.#limit.note('401', peerOf(req), (count, peer) =>
      this.logger.warn(
        { peer, count, credentials },
        'webhook refused a request without a valid bearer token or client certificate',
      ),
    );
  }

  /** A 413: the body (declared or read) went over the limit. */
  tooLarge(req: IncomingMessage, limitBytes: number): void {
    const declared = req.headers['content-length'];
    this.#limit.note('413', peerOf(req), (count, peer) =>
      this.logger.warn(
        { peer, count, limitBytes, ...(declared !== undefined ? { declaredBytes: declared } : {}) },
        'webhook refused a body over --max-body-bytes',
      ),
    );
  }
}
