// The audit's view of a ledger over gRPC. A server that fails to serve what its checkpoint commits
// to (an entry or proof below the tree size) fails the audit at that index; a server that cannot be
// reached is a usage problem (exit 2), not a verdict.
import { callFailed, type LedgerApi, LedgerCallError } from '../ledger-client.js';
import { VerificationError } from '../verification/errors.js';
import { EntriesWireError, readEntries } from './get-entries-response-fast.js';
import type { LogSource } from './log-source.js';

const TRANSPORT_FAILURES = new Set([
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
]);

export function grpcLogSource(api: LedgerApi, address: string): LogSource {
  const refused = (err: unknown, what: string, index?: bigint, size?: bigint): Error => {
    if (err instanceof LedgerCallError && !TRANSPORT_FAILURES.has(err.status)) {
      return new VerificationError('ENTRY', `the ledger refused ${what}: ${err.status}`, index, size);
    }
    return callFailed(address, err);
  };
  return {
    checkpoint: async () => {
      try {
        return (await api.getCheckpoint()).note;
      } catch (err) {
        throw callFailed(address, err);
      }
    },
    entries: async (start, end) => {
      let bytes: Uint8Array;
      try {
        bytes = await api.getEntriesBytes(start, end);
      } catch (err) {
        throw refused(err, `entries from ${start}`, start);
      }
      try {
        return readEntries(bytes);
      } catch (err) {
        if (!(err instanceof EntriesWireError)) throw err;
        throw new VerificationError('ENTRY', `entries from ${start}: ${err.message}`, start);
      }
    },
    consistencyProof: async (from, to) => {
      try {
        const p = await api.getConsistencyProof(from, to);
        return p.hashes;
      } catch (err) {
        throw refused(err, `a consistency proof from ${from} to ${to}`, undefined, from);
      }
    },
    inclusionProof: async (index, size) => (await api.getInclusionProof(index, size)).hashes,
  };
}
