// services/collector: kube-apiserver audit events in (webhook, audit-log tail), signed changes out
// onto JetStream. The CLI wires `collectorCommand()` and `ingress-ledger up` uses `startCollector`.
export { type CollectorDeps, type RunningCollector, startCollector } from './collector.js';
export { COLLECTOR_SETTINGS, collectorCommand, collectorConfig, configFromFlags } from './command.js';
export {
  type CollectorConfig,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PUBLISH_DEADLINE_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type PubsubOidcConfig,
  type TlsFiles,
} from './config.js';
export { CollectorError, type CollectorErrorCode } from './errors.js';
