// `node dist/services/ledger/main.js <flags>`: the ledger command on its own (tests spawn it).
import { ledgerCommand } from './command.js';

await ledgerCommand().parseAsync(process.argv);
