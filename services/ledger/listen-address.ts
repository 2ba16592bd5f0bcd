// HOST:PORT listen addresses, split for node:http and named for clients once bound.

/** The address a local client reaches a listener on: a wildcard host becomes loopback. */
export function boundAddress(listenAddr: string, port: number): string {
  const at = listenAddr.lastIndexOf(':');
  let host = at < 0 ? listenAddr : listenAddr.slice(0, at);
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  if (host === '[::]') host = '[::1]';
  return `${host}:${port}`;
}

/** Host (without IPv6 brackets) and port of a HOST:PORT that config.ts has already checked. */
export function splitHostPort(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(':');
  return { host: addr.slice(0, at).replace(/^\[|\]$/g, ''), port: Number.parseInt(addr.slice(at + 1), 10) };
}
