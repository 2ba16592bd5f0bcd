// The one error class of the ingress-ledger command. Its code decides the exit status, so a
// script can tell "the log lied" (1) from "you called me wrong" (2) without reading messages.

export type CliErrorCode =
  | 'USAGE' // bad flags or arguments
  | 'CONFIG' // a file that cannot be read or parsed: key, policy, proof, leaf, state
  | 'UNAVAILABLE' // the ledger could not be reached or answered with an error status
  | 'VERIFY_FAILED'; // something the server or a file claims does not verify

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: CliErrorCode,
    message: string,
    /** The command has already told the user (e.g. audit's report); print nothing more. */
    readonly reported = false,
  ) {
    super(message);
  }
}

/** Exit statuses of DESIGN 6: 0 success, 1 a verification failed, 2 usage or configuration. */
export const EXIT_OK = 0;
export const EXIT_VERIFY_FAILED = 1;
export const EXIT_USAGE = 2;

export function exitCodeOf(code: CliErrorCode): number {
  return code === 'VERIFY_FAILED' ? EXIT_VERIFY_FAILED : EXIT_USAGE;
}
