// Runs the collector as its own process: `node dist/services/collector/main.js <flags>`.
import { collectorCommand } from './command.js';

await collectorCommand().parseAsync(process.argv);
