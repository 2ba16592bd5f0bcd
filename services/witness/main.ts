// Runs a witness as its own process: `node dist/services/witness/main.js <flags>`.

import { selectCrypto } from '../../packages/runtime/index.js';
import { witnessCommand } from './command.js';

// Before any key is used: this process, and each worker thread, chooses its own crypto provider.
selectCrypto();

await witnessCommand().parseAsync(process.argv);
