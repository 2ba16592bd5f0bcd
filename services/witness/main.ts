// Runs a witness as its own process: `node dist/services/witness/main.js <flags>`.
import { witnessCommand } from './command.js';

await witnessCommand().parseAsync(process.argv);
