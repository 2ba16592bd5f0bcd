// The `ingress-ledger` program: every command, and one place that turns failures into exit
// statuses (DESIGN 6: 0 success, 1 a verification failed, 2 usage or configuration) with a one-line
// reason on stderr and never a stack trace.
import { Command, CommanderError } from 'commander';
import { ChangeError } from '../../packages/change/index.js';
import { ExportError } from '../../packages/export/index.js';
import { TlogError } from '../../packages/tlog/index.js';
import { CliError, EXIT_OK, EXIT_USAGE, EXIT_VERIFY_FAILED, exitCodeOf } from './errors.js';
import { io, printJson } from './output.js';
import { VerificationError } from './verification/errors.js';

export const VERSION = '0.1.0';

type Factory = () => Promise<Command | undefined>;

// Commands are loaded on demand: `verify` should not pay for gRPC, NATS and SQLite at start-up.
const OWN_COMMANDS: Record<string, Factory> = {
  keys: async () => (await import('./commands/keys.js')).keysCommand(),
  checkpoint: async () => (await import('./commands/checkpoint.js')).checkpointCommand(),
  entries: async () => (await import('./commands/entries.js')).entriesCommand(),
  prove: async () => (await import('./commands/prove.js')).proveCommand(),
  verify: async () => (await import('./commands/verify.js')).verifyCommand(),
  audit: async () => (await import('./commands/audit.js')).auditCommand(),
  search: async () => (await import('./commands/search.js')).searchCommand(),
  history: async () => (await import('./commands/history.js')).historyCommand(),
  report: async () => (await import('./commands/report.js')).reportCommand(),
  up: async () => (await import('./up/up-command.js')).upCommand(),
  backup: async () => (await import('./commands/backup.js')).backupCommand(),
  export: async () => (await import('./commands/export.js')).exportCommand(),
  'audit-policy': async () => (await import('./commands/audit-policy.js')).auditPolicyCommand(),
};

/** Service commands other parts of the project export; each is registered when its module exists. */
const SERVICE_COMMANDS: Record<string, [module: string, factory: string]> = {
  ledger: ['../ledger/index.js', 'ledgerCommand'],
  collector: ['../collector/index.js', 'collectorCommand'],
  witness: ['../witness/index.js', 'witnessCommand'],
  notify: ['../notify/index.js', 'notifyCommand'],
  reindex: ['../ledger/search/reindex-command.js', 'reindexCommand'],
  restore: ['../ledger/restore-command.js', 'restoreCommand'],
};

async function serviceCommand(path: string, factory: string): Promise<Command | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(new URL(path, import.meta.url).href)) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
  const make = mod[factory];
  return typeof make === 'function' ? (make as () => Command)() : undefined;
}

function factories(): [string, Factory][] {
  return [
    ...Object.entries(OWN_COMMANDS),
    ...Object.entries(SERVICE_COMMANDS).map(
      ([name, [path, factory]]) => [name, () => serviceCommand(path, factory)] as [string, Factory],
    ),
  ];
}

/** The program; with a known command name in argv only that command is loaded. */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('ingress-ledger')
    .description('tamper-evident, witnessed transparency log of Kubernetes Ingress changes')
    .version(VERSION)
    .showSuggestionAfterError(true);
  const name = argv[2];
  const all = factories();
  const chosen = all.filter(([n]) => n === name);
  for (const [, make] of chosen.length > 0 ? chosen : all) {
    const cmd = await make();
    if (cmd !== undefined) program.addCommand(cmd);
  }
  applyRecursively(program);
  return program;
}

// addCommand does not pass settings down, so every command gets them here.
function applyRecursively(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  cmd.allowExcessArguments(false);
  for (const sub of cmd.commands) applyRecursively(sub);
}

/** Where the program's JSON mode is on, failures are also reported as JSON on stdout. */
function wantsJson(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json' || a === '--output=json' || a === '-ojson') return true;
    if ((a === '-o' || a === '--output') && argv[i + 1] === 'json') return true;
  }
  return false;
}

/** Maps any failure to its exit status, printing one line on stderr. */
export function reportFailure(err: unknown, argv: readonly string[]): number {
  if (err instanceof CommanderError) {
    // commander has already printed its one-line message (or the help text).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
    return EXIT_USAGE;
  }
  if (err instanceof VerificationError) {
    if (wantsJson(argv)) printJson({ ok: false, error: err.toJSON() });
    io.err(`verification failed: ${err.code}: ${oneLine(err.message)}\n`);
    return EXIT_VERIFY_FAILED;
  }
  if (err instanceof CliError) {
    if (err.reported) return exitCodeOf(err.code);
    if (wantsJson(argv)) printJson({ ok: false, error: { code: err.code, message: err.message } });
    io.err(`error: ${oneLine(err.message)}\n`);
    return exitCodeOf(err.code);
  }
  if (err instanceof ExportError) {
    // A refused export or restore is evidence that something was changed: exit 1, like a proof.
    const verify = err.code === 'VERIFY_FAILED' || err.code === 'CONFLICT';
    io.err(`${verify ? 'verification failed' : 'error'}: ${err.code}: ${oneLine(err.message)}\n`);
    return verify ? EXIT_VERIFY_FAILED : EXIT_USAGE;
  }
  if (err instanceof TlogError || err instanceof ChangeError) {
    io.err(`error: ${err.code}: ${oneLine(err.message)}\n`);
    return EXIT_USAGE;
  }
  const e = err as Error & { code?: unknown };
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  io.err(`error: ${code}${oneLine(String(e?.message ?? err))}\n`);
  return EXIT_USAGE;
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').slice(0, 1000);

/** Runs the program on process-style argv; resolves with the exit status. */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (err) {
    return reportFailure(err, argv);
  }
}
