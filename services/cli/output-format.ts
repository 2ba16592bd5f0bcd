// `-o json|yaml|wide` of the read commands. `--json` stays the binding alias of `-o json`
// (DESIGN 5.1 line shapes); the default is an aligned table.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { stringify } from 'yaml';
import { CliError } from './errors.js';
import { io, toJson } from './output.js';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'wide'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface FormatOptions {
  json?: boolean;
  output?: OutputFormat;
}

export function withOutputFormat(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '-o, --output <format>',
      'json (as --json), yaml (one document per entry), wide (more columns)',
    ).argParser((text: string): OutputFormat => {
      if (!(OUTPUT_FORMATS as readonly string[]).includes(text)) {
        throw new InvalidArgumentError(`expected one of ${OUTPUT_FORMATS.join(', ')}`);
      }
      return text as OutputFormat;
    }),
  );
}

/** The format in effect; --json with another -o is a usage error. */
export function outputFormat(o: FormatOptions): OutputFormat {
  if (o.json === true && o.output !== undefined && o.output !== 'json') {
    throw new CliError('USAGE', `--json and -o ${o.output}: give one of them`);
  }
  return o.json === true ? 'json' : (o.output ?? 'table');
}

/** One YAML document, bigints as plain numbers, starting with `---`. */
export function printYamlDocument(value: unknown): void {
  const plain = JSON.parse(toJson(value)) as unknown;
  io.out(`---\n${stringify(plain, { lineWidth: 0, aliasDuplicateObjects: false })}`);
}
