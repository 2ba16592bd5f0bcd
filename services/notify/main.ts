// `node dist/services/notify/main.js <flags>`: the notify command on its own (tests spawn it).
import { notifyCommand } from './command.js';

await notifyCommand().parseAsync(process.argv);
