// Messages between the prepare pool and its worker threads (structured-clone shapes; the bulky parts
// travel as transferred ArrayBuffers).
import type { BodyFormat } from './body-format.js';

export interface PrepareWorkerInit {
  cluster: string;
  /** The collector's skey text (the worker parses its own key). */
  skey: string;
  resources: string[];
  /** Items per answer: publishing starts on the first chunk while the worker prepares the next. */
  chunkItems: number;
  /** The webhook's body limit, which also bounds what a body may decompress to. */
  maxBodyBytes: number;
  /** A body with more items is refused whole (BAD_REQUEST). */
  maxItems: number;
  /** A body with more rejected items is refused (BAD_REQUEST) once that many are found. */
  maxRejected: number;
}

/** Prepare the items of a webhook body. */
export interface PrepareRequest {
  id: number;
  body: ArrayBuffer;
  /** Bytes of body in use. */
  length: number;
  observedAt: string;
  /** What the body holds (its route's format); its changes carry that format's source. */
  format: BodyFormat;
}

export type PrepareReply =
  | {
      id: number;
      /** Items in the body: on its first chunk only. */
      items?: number;
      /** encodePrepared of the chunk's items. */
      chunk: ArrayBuffer;
      length: number;
      /** The body's last chunk. */
      done: boolean;
    }
  | {
      id: number;
      /** BAD_REQUEST: the body is not of its format; TOO_LARGE: it expands too far; INTERNAL: a bug. */
      error: { code: 'BAD_REQUEST' | 'TOO_LARGE' | 'INTERNAL'; message: string };
    };
