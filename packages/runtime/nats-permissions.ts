// What each role may do on NATS, in the server's permission terms, derived from the subjects and
// streams of streams.ts so that a renamed stream cannot leave a stale grant behind. `up` writes these
// into its nats-server configuration; an operator of another NATS server can grant the same.
//
// The JetStream API is request/reply over core subjects ($JS.API.<verb>.<stream>[.<consumer>]); a
// publish to a stream is a core publish whose PubAck the server sends to the client's inbox. So a
// role is: the API verbs it needs on its own streams and consumer, the subjects it publishes to,
// and its own reply inboxes (the client's inbox prefix, NatsConfig.inboxPrefix) for the answers.
// A collector has no consumer verb, and with an inbox prefix of its own it cannot overhear the
// messages the ledger pulls either. It may read single messages of its streams by sequence
// (STREAM.MSG.GET): that is how it checks that a duplicate PubAck points at its own message.
import {
  BODIES_STREAM,
  bodySubject,
  CHANGES_STREAM,
  CHECKPOINTS_SUBJECT,
  changesSubject,
  LEDGER_CONSUMER,
  REJECTED_STREAM,
  rejectedSubject,
} from './streams.js';

/** Subjects a role may publish to and subscribe to; an empty list allows none. */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

const STREAMS = [CHANGES_STREAM, REJECTED_STREAM, BODIES_STREAM];
/** nats.js's inbox prefix when none is configured: shared by every client that keeps it. */
export const DEFAULT_INBOX_PREFIX = '_INBOX';

/**
 * The ledger: creates the streams and its durable pull consumer, pulls and acknowledges changes,
 * reads out-of-leaf bodies, and publishes rejections, checkpoints and alerts.
 */
export function ledgerPermissions(inboxPrefix = DEFAULT_INBOX_PREFIX): NatsPermissions {
  const consumer = `${CHANGES_STREAM}.${LEDGER_CONSUMER}`;
  return {
    publish: [
      '$JS.API.INFO',
      ...STREAMS.flatMap((s) => [`$JS.API.STREAM.INFO.${s}`, `$JS.API.STREAM.CREATE.${s}`]),
      `$JS.API.CONSUMER.INFO.${consumer}`,
      // Create and update are one verb; newer clients append the filter subject to it.
      `$JS.API.CONSUMER.CREATE.${consumer}`,
      `$JS.API.CONSUMER.CREATE.${consumer}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${consumer}`,
      `$JS.API.CONSUMER.MSG.NEXT.${consumer}`,
      // Acks, naks and terms go to the reply subject of each delivered message.
      `$JS.ACK.${consumer}.>`,
      `$JS.API.DIRECT.GET.${BODIES_STREAM}`,
      `$JS.API.DIRECT.GET.${BODIES_STREAM}.>`,
      rejectedSubject('>'),
      CHECKPOINTS_SUBJECT,
      'ledger.alerts.>',
    ],
    subscribe: [`${inboxPrefix}.>`],
  };
}

/**
 * A collector of `cluster`: publishes its own cluster's changes and rejections, and the bodies its
 * leaves refer to (named by digest, so any cluster's); may look its streams up, never create one
 * (the ledger does), nor create a consumer; reads one message by sequence to check a duplicate.
 */
export function collectorPermissions(cluster: string, inboxPrefix = DEFAULT_INBOX_PREFIX): NatsPermissions {
  return {
    publish: [
      '$JS.API.INFO',
      ...STREAMS.flatMap((s) => [`$JS.API.STREAM.INFO.${s}`, `$JS.API.STREAM.MSG.GET.${s}`]),
      changesSubject(cluster),
      rejectedSubject(cluster),
      bodySubject('*'),
    ],
    subscribe: [`${inboxPrefix}.>`],
  };
}

/**
 * A reader (an operator's tools, an alert forwarder): subscribes to published checkpoints and risk
 * alerts, and publishes nothing.
 */
export function readerPermissions(): NatsPermissions {
  return { publish: [], subscribe: [CHECKPOINTS_SUBJECT, 'ledger.alerts.>'] };
}
