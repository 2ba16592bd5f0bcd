// Entry point of the `ingress-ledger` executable (bin/ingress-ledger.js imports the compiled file).

import { selectCrypto } from '../../packages/runtime/index.js';
import { EXIT_OK } from './errors.js';
import { run } from './program.js';
import { dropIpServerNameWarning } from './warnings.js';

// Before any key is used: this process, and each worker thread, chooses its own crypto provider.
selectCrypto();

dropIpServerNameWarning();

const status = await run(process.argv);
if (status !== EXIT_OK) {
  // Exit now: a failed command must not linger on open sockets or workers.
  process.exitCode = status;
  process.stderr.write('', () => process.exit(status));
} else {
  process.exitCode = status;
}
