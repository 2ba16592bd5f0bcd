// Runs the collector as its own process: `node dist/services/collector/main.js <flags>`.

import { selectCrypto } from '../../packages/runtime/index.js';
import { collectorCommand } from './command.js';

// Before any key is used: this process, and each worker thread, chooses its own crypto provider.
selectCrypto();

await collectorCommand().parseAsync(process.argv);
