// `node dist/services/ledger/main.js <flags>`: the ledger command on its own (tests spawn it).

import { selectCrypto } from '../../packages/runtime/index.js';
import { ledgerCommand } from './command.js';

// Before any key is used: this process, and each worker thread, chooses its own crypto provider.
selectCrypto();

await ledgerCommand().parseAsync(process.argv);
