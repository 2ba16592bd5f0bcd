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
  ALERTS_STREAM,
  alertsSubject,
  BODIES_STREAM,
  bodySubject,
  CHANGES_STREAM,
  CHECKPOINTS_SUBJECT,
  changesSubject,
  DEAD_ALERTS_STREAM,
  deadAlertSubject,
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
const ALERT_STREAMS = [ALERTS_STREAM, DEAD_ALERTS_STREAM];
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
      ...STREAMS.flatMap((s) => [
        `$JS.API.STREAM.INFO.${s}`,
        `$JS.API.STREAM.CREATE.${s}`,
        // Stream limits are the ledger's settings; it brings existing streams to them.
        `$JS.API.STREAM.UPDATE.${s}`,
      ]),
      ...ALERT_STREAMS.flatMap((s) => [`$JS.API.STREAM.INFO.${s}`, `$JS.API.STREAM.CREATE.${s}`]),
      // Committed changes and their bodies leave the buffer (services/ledger/stream-trim.ts).
      `$JS.API.STREAM.PURGE.${CHANGES_STREAM}`,
      `$JS.API.STREAM.PURGE.${BODIES_STREAM}`,
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
      alertsSubject('>'),
    ],
    subscribe: [`${inboxPrefix}.>`],
  };
}

/**
 * The notify service: makes sure the alert streams exist, keeps one durable consumer of
 * INGRESS_ALERTS per output (pulls, acks, naks), and publishes what it gives up on to the
 * dead-letter stream. It reads nothing else and publishes no alert.
 */
export function notifyPermissions(inboxPrefix = DEFAULT_INBOX_PREFIX): NatsPermissions {
  // A NATS wildcard is a whole token: any consumer of the alerts stream, not only notify-*.
  const consumers = `${ALERTS_STREAM}.*`;
  return {
    publish: [
      '$JS.API.INFO',
      ...ALERT_STREAMS.flatMap((s) => [`$JS.API.STREAM.INFO.${s}`, `$JS.API.STREAM.CREATE.${s}`]),
      `$JS.API.CONSUMER.INFO.${consumers}`,
      `$JS.API.CONSUMER.CREATE.${consumers}`,
      `$JS.API.CONSUMER.CREATE.${consumers}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${consumers}`,
      `$JS.API.CONSUMER.MSG.NEXT.${consumers}`,
      `$JS.ACK.${ALERTS_STREAM}.>`,
      deadAlertSubject('*'),
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
  return { publish: [], subscribe: [CHECKPOINTS_SUBJECT, alertsSubject('>')] };
}
