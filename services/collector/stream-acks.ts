// JetStream publishes answered on one shared reply subscription. A JetStream publish is a core
// publish with a reply subject that the stream answers with a PubAck; the client's `js.publish`
// makes each one a full request (its own timer, its own error object with a stack trace, its own
// entry in the request multiplexer), which cost the collector more CPU than signing. Here a batch
// shares one deadline timer, replies are matched by the last token of the reply subject, and an
// error object is made only for a publish that failed.
//
// Obligations, the same as `js.publish`: a publish resolves only on a PubAck from the stream; a
// PubAck with an error, a "no responders" status (no stream listens on the subject), a closed
// connection or the batch's deadline reject it with a StreamAckError.
//
// A publish with no answer after RESEND_AFTER_MS is sent again, on the same reply subject, until
// the batch's deadline: in a JetStream cluster a message in flight to a stream leader that dies
// gets no answer at all, and would otherwise hold its batch until the deadline and a 503. The
// message id makes a second copy harmless (the PubAck then says duplicate).
//
// A lost connection gets RECONNECT_GRACE_MS to come back (in a JetStream cluster the client moves
// to another server at once): then what was pending is sent again on the new connection (the
// message id makes a second copy harmless) and nobody notices. Past the grace, what is pending
// fails (DISCONNECTED), and so does every publish until the client has reconnected: a short
// outage must cost the sender a quick 503 and a retry, not the whole deadline.
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/nats-core';
import { createInbox, headers as natsHeaders, PermissionViolationError } from '@nats-io/nats-core';

/** The part of a PubAck the collector reads. */
export interface StreamAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

export type StreamAckErrorCode =
  | 'TIMEOUT'
  | 'NO_STREAM'
  | 'REJECTED'
  | 'NO_SPACE'
  | 'CLOSED'
  | 'DISCONNECTED'
  | 'MALFORMED';

export class StreamAckError extends Error {
  override readonly name = 'StreamAckError';
  constructor(
    readonly code: StreamAckErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The header JetStream deduplicates on. */
const MSG_ID_HEADER = 'Nats-Msg-Id';
/** The status a NATS server answers a request with when nothing subscribes to its subject. */
const NO_RESPONDERS = 503;
/**
 * JetStream's error codes for a store that is out of room: 10023 insufficient resources (its
 * storage limit), 10077 a failed write (a full disk), 10047 insufficient storage. They pass when
 * space returns, with nothing to do on the collector's side.
 */
const NO_SPACE_ERR_CODES = new Set([10023, 10047, 10077]);
/**
 * How long a publish answered "no responders" is sent again: a replicated stream whose leader
 * died has none until the cluster elects another (a few seconds). A subject no stream listens on
 * at all fails after this long instead of at once.
 */
export const NO_STREAM_RETRY_MS = 10_000;
/** Pause between those tries. */
const NO_STREAM_PAUSE_MS = 250;
/** How long a lost connection may take to come back before what is pending fails. */
export const RECONNECT_GRACE_MS = 1500;
/**
 * A publish unanswered this long is sent again: well above a PubAck's time under load (tens of
 * milliseconds, a few hundred in a burst), well below the webhook's publish deadline.
 */
export const RESEND_AFTER_MS = 3000;
/** How often unanswered publishes are looked for, while any are pending. */
const RESEND_SWEEP_MS = 500;

interface Pending {
  subject: string;
  /** Kept to send again after a reconnect. */
  data: Uint8Array;
  headers: MsgHdrs;
  /** performance.now() of the first send, for NO_STREAM_RETRY_MS. */
  firstSentAt: number;
  /** performance.now() of the latest send, for RESEND_AFTER_MS. */
  lastSentAt: number;
  resolve(ack: StreamAck): void;
  reject(err: StreamAckError): void;
  batch: AckBatch;
}

export class StreamAcks {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #sub: Subscription;
  readonly #pending = new Map<string, Pending>();
  #next = 0;
  #closed = false;
  /** Lost and not back within the grace: publishes fail at once until the reconnect. */
  #down = false;
  #grace: NodeJS.Timeout | undefined;
  /** Looks for unanswered publishes while any are pending. */
  #sweep: NodeJS.Timeout | undefined;

  /** `inboxPrefix`: the connection's reply inbox prefix (NatsConfig.inboxPrefix), where answers may arrive. */
  constructor(nc: NatsConnection, inboxPrefix?: string) {
    this.#nc = nc;
    this.#prefix = `${createInbox(inboxPrefix)}.`;
    this.#sub = nc.subscribe(`${this.#prefix}*`, {
      callback: (err, msg) => (err === null ? this.#answer(msg) : this.#failAll('CLOSED', err.message)),
    });
    // A closed subscription (connection closed or drained) will never answer what is pending.
    void this.#sub.closed.then(
      () => this.#failAll('CLOSED', 'NATS connection closed'),
      () => this.#failAll('CLOSED', 'NATS connection closed'),
    );
    // A subject this connection may not publish to is refused with an asynchronous -ERR, and the
    // stream never answers: fail those publishes now rather than at the deadline.
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.#lost();
        else if (s.type === 'reconnect') this.#back();
        else if (s.type === 'error' && s.error instanceof PermissionViolationError) {
          if (s.error.operation === 'publish') this.#refused(s.error.subject);
        }
      }
    })().catch(() => undefined);
  }

  /** Starts a batch of publishes that all fail with TIMEOUT once `deadline` (epoch ms) has passed. */
  batch(deadline: number): AckBatch {
    return new AckBatch(this, deadline);
  }

  /** @internal Used by AckBatch. */
  publish(
    batch: AckBatch,
    subject: string,
    data: Uint8Array,
    msgID: string,
    h?: MsgHdrs,
  ): Promise<StreamAck> {
    if (this.#closed) return Promise.reject(new StreamAckError('CLOSED', 'NATS connection closed'));
    if (this.#down) {
      return Promise.reject(new StreamAckError('DISCONNECTED', 'NATS connection lost; reconnecting'));
    }
    const token = (this.#next++).toString(36);
    const hdrs = h ?? natsHeaders();
    hdrs.set(MSG_ID_HEADER, msgID);
    return new Promise<StreamAck>((resolve, reject) => {
      const now = performance.now();
      this.#pending.set(token, {
        subject,
        data,
        headers: hdrs,
        firstSentAt: now,
        lastSentAt: now,
        resolve,
        reject,
        batch,
      });
      batch.count++;
      this.#sweep ??= setInterval(() => this.#resendUnanswered(), RESEND_SWEEP_MS).unref();
      try {
        this.#nc.publish(subject, data, { reply: this.#prefix + token, headers: hdrs });
      } catch (err) {
        this.#settle(token)?.reject(new StreamAckError('CLOSED', (err as Error).message));
      }
    });
  }

  #lost(): void {
    if (this.#grace !== undefined || this.#down) return;
    this.#grace = setTimeout(() => {
      this.#grace = undefined;
      this.#down = true;
      this.#failAll('DISCONNECTED', 'NATS connection lost');
    }, RECONNECT_GRACE_MS);
    this.#grace.unref();
  }

  /** Back on a server: what may have been lost with the old connection is sent again. */
  #back(): void {
    if (this.#grace !== undefined) clearTimeout(this.#grace);
    this.#grace = undefined;
    this.#down = false;
    for (const [token, p] of this.#pending) {
      p.lastSentAt = performance.now();
      try {
        this.#nc.publish(p.subject, p.data, { reply: this.#prefix + token, headers: p.headers });
      } catch (err) {
        this.#settle(token)?.reject(new StreamAckError('CLOSED', (err as Error).message));
      }
    }
  }

  /** Sends again what has waited RESEND_AFTER_MS for an answer; stops looking once nothing is pending. */
  #resendUnanswered(): void {
    if (this.#pending.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
      return;
    }
    // While disconnected, the reconnect sends everything again (#back).
    if (this.#down || this.#grace !== undefined) return;
    const due = performance.now() - RESEND_AFTER_MS;
    for (const [token, p] of this.#pending) {
      if (p.lastSentAt > due) continue;
      p.lastSentAt = performance.now();
      try {
        this.#nc.publish(p.subject, p.data, { reply: this.#prefix + token, headers: p.headers });
      } catch (err) {
        this.#settle(token)?.reject(new StreamAckError('CLOSED', (err as Error).message));
      }
    }
  }

  /** @internal Rejects every publish of the batch that has no answer yet. */
  expire(batch: AckBatch, why: string): void {
    for (const [token, p] of this.#pending) {
      if (p.batch !== batch) continue;
      this.#settle(token)?.reject(new StreamAckError('TIMEOUT', why));
    }
  }

  #refused(subject: string): void {
    for (const [token, p] of this.#pending) {
      if (p.subject !== subject) continue;
      this.#settle(token)?.reject(new StreamAckError('REJECTED', `not permitted to publish to ${subject}`));
    }
  }

  #settle(token: string): Pending | undefined {
    const p = this.#pending.get(token);
    if (p === undefined) return undefined;
    this.#pending.delete(token);
    p.batch.count--;
    return p;
  }

  #answer(msg: Msg): void {
    const p = this.#settle(msg.subject.slice(this.#prefix.length));
    // An answer after the deadline: the batch has already failed (and will be retried).
    if (p === undefined) return;
    if (msg.data.length === 0 && msg.headers?.code === NO_RESPONDERS) {
      if (!this.#closed && performance.now() - p.firstSentAt < NO_STREAM_RETRY_MS) {
        this.#again(msg.subject.slice(this.#prefix.length), p);
        return;
      }
      p.reject(new StreamAckError('NO_STREAM', 'no stream listens on the subject'));
      return;
    }
    let ack: {
      stream?: unknown;
      seq?: unknown;
      duplicate?: unknown;
      error?: { description?: unknown; err_code?: unknown };
    };
    try {
      ack = msg.json();
    } catch {
      p.reject(new StreamAckError('MALFORMED', 'PubAck is not JSON'));
      return;
    }
    if (typeof ack !== 'object' || ack === null) {
      p.reject(new StreamAckError('MALFORMED', 'PubAck is not an object'));
    } else if (ack.error !== undefined && NO_SPACE_ERR_CODES.has(Number(ack.error?.err_code))) {
      p.reject(
        new StreamAckError('NO_SPACE', `JetStream is out of space: ${String(ack.error?.description)}`),
      );
    } else if (ack.error !== undefined) {
      p.reject(
        new StreamAckError('REJECTED', `stream refused the message: ${String(ack.error?.description)}`),
      );
    } else if (typeof ack.stream !== 'string' || ack.stream === '' || typeof ack.seq !== 'number') {
      p.reject(new StreamAckError('MALFORMED', 'PubAck without stream and sequence'));
    } else {
      p.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true });
    }
  }

  /** Sends a publish again after a pause, unless it was settled meanwhile (its deadline, a close). */
  #again(token: string, p: Pending): void {
    this.#pending.set(token, p);
    p.batch.count++;
    setTimeout(() => {
      if (this.#pending.get(token) !== p || this.#down) return;
      p.lastSentAt = performance.now();
      try {
        this.#nc.publish(p.subject, p.data, { reply: this.#prefix + token, headers: p.headers });
      } catch (err) {
        this.#settle(token)?.reject(new StreamAckError('CLOSED', (err as Error).message));
      }
    }, NO_STREAM_PAUSE_MS).unref();
  }

  #failAll(code: StreamAckErrorCode, message: string): void {
    this.#closed = code === 'CLOSED' || this.#closed;
    for (const token of [...this.#pending.keys()])
      this.#settle(token)?.reject(new StreamAckError(code, message));
  }

  /** Stops listening; whatever is pending fails with CLOSED. */
  close(): void {
    if (this.#grace !== undefined) clearTimeout(this.#grace);
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    this.#sub.unsubscribe();
    this.#failAll('CLOSED', 'publisher closed');
  }
}

/** Publishes that share one deadline (one webhook request or one batch of log lines). */
export class AckBatch {
  readonly #acks: StreamAcks;
  readonly #timer: NodeJS.Timeout;
  /** @internal Publishes of this batch still waiting for an answer. */
  count = 0;
  #done = false;

  /** @internal Made by StreamAcks.batch. */
  constructor(acks: StreamAcks, deadline: number) {
    this.#acks = acks;
    this.#timer = setTimeout(
      () => this.end('no PubAck before the deadline'),
      Math.max(0, deadline - Date.now()),
    );
  }

  /** Publishes with `Nats-Msg-Id: msgID` (added to `headers`, if given) and waits for its PubAck. */
  publish(subject: string, data: Uint8Array, msgID: string, headers?: MsgHdrs): Promise<StreamAck> {
    if (this.#done) return Promise.reject(new StreamAckError('TIMEOUT', 'deadline passed before publishing'));
    return this.#acks.publish(this, subject, data, msgID, headers);
  }

  /**
   * Ends the batch: releases its timer, and fails with TIMEOUT whatever is still unanswered (after
   * one publish failed, nobody waits for the rest) and whatever it is asked to publish from now on.
   */
  end(why = 'batch ended'): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    if (this.count > 0) this.#acks.expire(this, why);
  }
}
