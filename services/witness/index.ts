// services/witness: a C2SP tlog-witness v1.0.0 server with its own key and SQLite state.
export { WITNESS_SETTINGS, witnessCommand, witnessConfig } from './command.js';
export { WitnessError, type WitnessErrorCode } from './errors.js';
export { parseListen, type RunningWitness, startWitness, type WitnessConfig } from './service.js';
export { originHash } from './witness.js';
