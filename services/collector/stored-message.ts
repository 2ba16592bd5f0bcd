// Reads back a message JetStream holds, by stream sequence, for the one case where the collector must
// look: a PubAck that says `duplicate`. JetStream deduplicates on Nats-Msg-Id alone, so whoever can
// publish to the subject first (junk under an event's `<cluster>/<auditID>`) would make the real
// event count as "already stored" while it never lands. The message is fetched with the plain
// STREAM.MSG.GET API (it needs no allow_direct on the stream) and compared by the caller.
import type { NatsConnection } from '@nats-io/nats-core';

/** How long a look-up may take: it runs only on duplicates, inside the batch's own deadline. */
export const STORED_LOOKUP_TIMEOUT_MS = 5000;

/** A message as JetStream stored it, or undefined when the stream no longer holds that sequence. */
export type StoredLookup = (stream: string, seq: number) => Promise<Uint8Array | undefined>;

/** Looks messages up on `nc`. Throws on anything but a clear "no message" answer. */
export function storedLookup(nc: NatsConnection, timeoutMs = STORED_LOOKUP_TIMEOUT_MS): StoredLookup {
  return async (stream, seq) => {
    const reply = await nc.request(`$JS.API.STREAM.MSG.GET.${stream}`, JSON.stringify({ seq }), {
      timeout: timeoutMs,
    });
    const answer = reply.json<{ message?: { data?: unknown; seq?: unknown }; error?: { code?: unknown } }>();
    if (answer.error !== undefined) {
      if (answer.error.code === 404) return undefined;
      throw new Error(`stream ${stream} answered the look-up of ${seq} with an error`);
    }
    const m = answer.message;
    if (m === undefined || m.seq !== seq) throw new Error(`stream ${stream} answered for another message`);
    // A message without a payload has no data field at all.
    if (m.data === undefined) return new Uint8Array();
    if (typeof m.data !== 'string') throw new Error(`stream ${stream} answered with malformed data`);
    return new Uint8Array(Buffer.from(m.data, 'base64'));
  };
}
