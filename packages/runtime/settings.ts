// One settings system for every service. Each service declares a table of settings; a value comes
// from, in order of precedence, its flag, its INGRESS_LEDGER_* environment variable, the YAML file
// named by --config (or INGRESS_LEDGER_CONFIG), then the service's default. Values are parsed once,
// at start, by the typed readers of `Settings`; a bad value throws SettingsError('CONFIG') whose
// message starts with the flag ("--batch-size: …") and says where the value came from when it was
// not a flag, so an operator can find it in a manifest.
//
// Secrets never travel as values: a secret setting names a file (`…-file`), read by secretFile().
import { readFileSync } from 'node:fs';
import { Command, type CommanderError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';

/** Prefix of the environment variables: INGRESS_LEDGER_DATA_DIR for --data-dir. */
export const ENV_PREFIX = 'INGRESS_LEDGER_';
/** The setting that names the YAML file; also read from INGRESS_LEDGER_CONFIG. */
export const CONFIG_SETTING = 'config';
/** Largest config file read (a settings file is a few hundred bytes). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** Largest secret file read (tokens and passwords; keys have their own readers). */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

export interface SettingSpec {
  /** The flag without dashes, kebab-case; also the YAML key and (upper snake) the env suffix. */
  readonly name: string;
  readonly help: string;
  /** The flag's argument in --help (default "value"). */
  readonly arg?: string;
  /**
   * Several values: 'comma' takes a comma-separated flag or a YAML list; 'repeat' takes the flag
   * several times, a YAML list, or newline-separated values in the environment variable.
   */
  readonly multiple?: 'comma' | 'repeat';
}

export type SettingsTable = readonly SettingSpec[];
export type SettingName<T extends SettingsTable> = T[number]['name'];
/** Settings as plain text by name, as a service is configured in code (tests, `up`). */
export type RawSettings<N extends string = string> = Partial<Record<N, string>>;

type Source = 'flag' | 'env' | 'file' | 'given';

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  readonly code = 'CONFIG';
  constructor(
    /** The setting at fault (its flag without dashes). */
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

export function envName(setting: string): string {
  return ENV_PREFIX + setting.toUpperCase().replaceAll('-', '_');
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const DURATION_RE = /^(0|[1-9][0-9]{0,8})(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** The host a listener binds when HOST:PORT leaves the host out. */
export const LOOPBACK = '127.0.0.1';

const HOST_PORT_RE = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]*)):(0|[1-9][0-9]{0,4})$/;

export interface HostPort {
  host: string;
  port: number;
}

/** Settings of one service, with typed readers that name the flag in every error. */
export class Settings<N extends string = string> {
  private readonly values = new Map<string, { value: string; source: Source }>();

  /** Settings given in code (tests, `up`): every value counts as given. */
  static of<N extends string>(raw: RawSettings<N>): Settings<N> {
    const s = new Settings<N>();
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') s.set(k, v, 'given');
    return s;
  }

  /** @internal */
  set(name: string, value: string, source: Source): void {
    this.values.set(name, { value, source });
  }

  has(name: N): boolean {
    return this.values.has(name);
  }

  /** The text of a setting, or undefined when none of the sources gives it. */
  get(name: N): string | undefined {
    return this.values.get(name)?.value;
  }

  /** Throws SettingsError naming the flag (and the variable or file the value came from). */
  fail(name: N, why: string): never {
    const from = this.values.get(name)?.source;
    const where =
      from === 'env' ? ` (from ${envName(name)})` : from === 'file' ? ' (from the --config file)' : '';
    throw new SettingsError(name, `--${name}: ${why}${where}`);
  }

  require(name: N): string {
    const v = this.get(name);
    if (v === undefined || v === '') throw new SettingsError(name, `--${name}: is required`);
    return v;
  }

  /** A duration like 250ms, 2s, 5m or 1h (a bare number is milliseconds), in milliseconds. */
  duration(name: N, defaultMs: number, minMs: number): number {
    const v = this.get(name);
    if (v === undefined) return defaultMs;
    const m = DURATION_RE.exec(v);
    if (m === null) this.fail(name, `"${v}" is not a duration like 250ms, 2s, 5m or 1h`);
    const ms = Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS];
    if (ms < minMs) this.fail(name, `must be at least ${minMs}ms`);
    return ms;
  }

  /** A whole number from min to max, written plainly (no sign, exponent or leading zero). */
  integer(name: N, defaultValue: number, min: number, max: number): number {
    const v = this.get(name);
    if (v === undefined) return defaultValue;
    if (!/^(0|[1-9][0-9]{0,14})$/.test(v)) this.fail(name, `"${v}" is not a whole number`);
    const n = Number(v);
    if (n < min || n > max) this.fail(name, `must be from ${min} to ${max}`);
    return n;
  }

  onOff(name: N, defaultValue: boolean): boolean {
    const v = this.get(name);
    if (v === undefined) return defaultValue;
    if (v !== 'on' && v !== 'off' && v !== 'true' && v !== 'false')
      this.fail(name, `"${v}" is not on or off`);
    return v === 'on' || v === 'true';
  }

  /**
   * HOST:PORT (IPv6 as [::1]:PORT; port 0 picks a free one), checked and returned as given, except
   * that `:PORT` (no host) is loopback: listeners bind loopback unless told otherwise, where Node
   * and grpc-js would take a missing host for every interface.
   */
  hostPort(name: N, defaultValue?: string): string | undefined {
    const v = this.get(name) ?? defaultValue;
    if (v === undefined) return undefined;
    const hp = parseHostPort(v);
    if (hp === undefined) this.fail(name, `"${v}" is not host:port`);
    return hp.host === '' ? `${LOOPBACK}:${hp.port}` : v;
  }

  /** The values of a 'comma' or 'repeat' setting, blanks dropped. */
  list(name: N): string[] | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    return v
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** The content of the file a secret setting names, trimmed; an unreadable or empty file fails. */
  secretFile(name: N): string | undefined {
    const path = this.get(name);
    if (path === undefined) return undefined;
    const text = readTextFile(path, MAX_SECRET_FILE_BYTES, (why) => this.fail(name, why)).trim();
    if (text === '') this.fail(name, `${path} is empty`);
    return text;
  }
}

/** Parses HOST:PORT; undefined when it is not one. */
export function parseHostPort(text: string): HostPort | undefined {
  const m = HOST_PORT_RE.exec(text);
  if (m === null || Number(m[3]) > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
}

function readTextFile(path: string, max: number, fail: (why: string) => never): string {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    fail(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (buf.length > max) fail(`${path} is larger than ${max} bytes`);
  return buf.toString('utf8');
}

/** The settings a YAML config file gives: a mapping of setting names to scalars (or lists). */
export function readConfigFile(table: SettingsTable, path: string): Map<string, string> {
  function fail(why: string): never {
    throw new SettingsError(CONFIG_SETTING, `--${CONFIG_SETTING}: ${why}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(readTextFile(path, MAX_CONFIG_FILE_BYTES, fail), { maxAliasCount: 10 });
  } catch (err) {
    if (err instanceof SettingsError) throw err;
    fail(`${path} is not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const out = new Map<string, string>();
  if (doc === null || doc === undefined) return out;
  if (typeof doc !== 'object' || Array.isArray(doc)) fail(`${path} must be a YAML mapping of setting names`);
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const spec = table.find((s) => s.name === k);
    if (spec === undefined || k === CONFIG_SETTING) fail(`unknown setting "${k}" in ${path}`);
    const scalar = (x: unknown) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
    if (Array.isArray(v) && spec.multiple !== undefined && v.every(scalar)) {
      out.set(k, v.map(String).join(spec.multiple === 'comma' ? ',' : '\n'));
    } else if (scalar(v)) {
      out.set(k, String(v));
    } else {
      fail(
        `setting "${k}" in ${path} must be a ${spec.multiple !== undefined ? 'value or a list' : 'value'}`,
      );
    }
  }
  return out;
}

/**
 * Merges the sources: `flags` (commander's option values, camelCase keys), then `env`, then the
 * config file named by the `config` flag or INGRESS_LEDGER_CONFIG.
 */
export function loadSettings<T extends SettingsTable>(
  table: T,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Settings<SettingName<T>> {
  const s = new Settings<SettingName<T>>();
  const configFlag = flags[CONFIG_SETTING];
  const configPath = typeof configFlag === 'string' ? configFlag : env[envName(CONFIG_SETTING)];
  if (configPath !== undefined && configPath !== '') {
    for (const [k, v] of readConfigFile(table, configPath)) s.set(k, v, 'file');
  }
  for (const spec of table) {
    const v = env[envName(spec.name)];
    if (v !== undefined && v !== '') s.set(spec.name, v, 'env');
  }
  for (const spec of table) {
    const v = flags[camel(spec.name)];
    if (typeof v === 'string') s.set(spec.name, v, 'flag');
    else if (Array.isArray(v) && v.length > 0) s.set(spec.name, v.join('\n'), 'flag');
  }
  return s;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * A command whose options are the table's settings plus --config. Bad usage exits 2 (commander's
 * own errors); --help exits 0. The help lists each setting's environment variable.
 */
export function settingsCommand(name: string, description: string, table: SettingsTable): Command {
  const cmd = new Command(name).description(description);
  for (const spec of table) {
    const opt = new Option(`--${spec.name} <${spec.arg ?? 'value'}>`, `${spec.help} [${envName(spec.name)}]`);
    if (spec.multiple === 'repeat') opt.argParser(collect);
    cmd.addOption(opt);
  }
  cmd.addOption(
    new Option(
      `--${CONFIG_SETTING} <file>`,
      `YAML file of these settings, keyed by flag name (flags and env win) [${envName(CONFIG_SETTING)}]`,
    ),
  );
  cmd.exitOverride((err: CommanderError) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(2);
  });
  return cmd;
}
