// Process warnings the `ingress-ledger` executable does not show.

/** Node's code for "Setting the TLS ServerName to an IP address is not permitted by RFC 6066". */
const IP_SERVER_NAME = 'DEP0123';

/**
 * grpc-js always sends the target host as the TLS server name (SNI), an IP address included, and
 * Node warns about that on every run given `--grpc IP:PORT` with TLS. The ledger's certificate is
 * still verified against that IP address; the warning tells the user of nothing they can change,
 * so only it is dropped. Every other warning passes through unchanged.
 */
export function dropIpServerNameWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const [typeOrOptions, code] = rest;
    const c =
      typeof typeOrOptions === 'object' && typeOrOptions !== null
        ? (typeOrOptions as { code?: unknown }).code
        : code;
    if (c === IP_SERVER_NAME) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
