// Risk findings leave the ledger as alerts on `ledger.alerts.<cluster>` (packages/runtime/streams.ts).
import type { NatsConnection } from '@nats-io/nats-core';
import { alertsSubject, encodeAlert } from '../../packages/runtime/index.js';
import type { IndexedFindings } from './search/index.js';

/** Publishes each finding of the entries the search follower indexed, in index order. */
export function alertPublisher(nc: NatsConnection): (found: readonly IndexedFindings[]) => void {
  return (found) => {
    for (const f of found) {
      for (const finding of f.findings) {
        nc.publish(alertsSubject(f.cluster), encodeAlert({ index: f.index, cluster: f.cluster, ...finding }));
      }
    }
  };
}
