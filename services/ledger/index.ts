// The ledger service (DESIGN 2-5, 7): JetStream ingest into a SQLite Merkle log, signed and
// cosigned checkpoints, and the Ledger gRPC API.
export { configFromSources, ledgerCommand } from './command.js';
export { DEFAULT_GRPC_LISTEN, LEDGER_SETTINGS, type LedgerConfig, ledgerConfig } from './config.js';
export { LedgerError, type LedgerErrorCode } from './errors.js';
export { type RunningLedger, startLedger } from './ledger.js';
