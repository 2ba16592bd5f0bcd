// Entry point of the `ingress-ledger` executable (bin/ingress-ledger.js imports the compiled file).

import { selectCrypto } from '../../packages/runtime/index.js';
import { EXIT_OK } from './errors.js';
import { run } from './program.js';
import { dropIpServerNameWarning } from './warnings.js';

// Before any key is used: this process, and each worker thread, chooses its own crypto provider.
selectCrypto();

dropIpServerNameWarning();

// A reader that stops early (`| head`) closes the pipe: that ends the command quietly, not with
// an EPIPE stack trace. Whatever was left to print was not wanted.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const status = await run(process.argv);
if (status !== EXIT_OK) {
  // Exit now: a failed command must not linger on open sockets or workers.
  process.exitCode = status;
  process.stderr.write('', () => process.exit(status));
} else {
  process.exitCode = status;
}
