// `ingress-ledger entries`: list entries by index, or follow new ones as they are appended.
import { Command } from 'commander';
import type { Entry } from '../../../packages/proto/index.js';
import { leafHash, parseCheckpoint, parseNote } from '../../../packages/tlog/index.js';
import {
  changeOfLeaf,
  entryVerifier,
  openLedger,
  type VerifyingOptions,
  withClientOptions,
  withVerifyOptions,
} from '../client-options.js';
import { CliError } from '../errors.js';
import { parseIndex, positiveInt } from '../flags.js';
import { callFailed, type LedgerApi } from '../ledger-client.js';
import { b64, bold, printJson, println, red } from '../output.js';
import { type OutputFormat, outputFormat, printYamlDocument, withOutputFormat } from '../output-format.js';
import { VerdictTally, verdictLabel, WIDE_HEADERS, wideCells } from '../read-view.js';
import { changeCells } from '../render-change.js';
import { type EntryVerdict, type EntryVerifier, verdictJson } from '../verification/entry-verifier.js';
import { call } from './search.js';

/** Entries shown when neither --start nor --limit is given: the newest few. */
export const DEFAULT_ENTRIES_LIMIT = 20;
/** Entries asked for per call. */
const PAGE = 500n;

interface EntriesOptions extends VerifyingOptions {
  output?: OutputFormat;
  start?: bigint;
  end?: bigint;
  limit?: number;
  follow?: boolean;
}

export function entriesCommand(): Command {
  return withOutputFormat(withVerifyOptions(withClientOptions(new Command('entries'))))
    .description('list log entries (the newest 20 by default); each is verified when a policy is known')
    .option('--start <index>', 'first index', parseIndex)
    .option('--end <index>', "one past the last index (default: the checkpoint's tree size)", parseIndex)
    .option('--limit <n>', 'at most this many entries', positiveInt(1_000_000))
    .option('--follow', 'keep printing new entries as they are appended')
    .action((o: EntriesOptions) => entries(o));
}

async function entries(o: EntriesOptions): Promise<void> {
  const format = outputFormat(o);
  const api = openLedger(o);
  const tally = new VerdictTally();
  try {
    const verifier = entryVerifier(o, api);
    if (verifier !== undefined) await call(o.grpc, () => verifier.refresh());
    const wide = format === 'wide';
    const print = async (page: Entry[]) => {
      const verdicts = await verdictsOf(verifier, page, o.grpc);
      page.forEach((e, i) => {
        tally.add(e.index, verdicts[i]);
        show(e, verdicts[i], format);
      });
    };
    const size = await treeSize(api, o.grpc);
    const limit = BigInt(o.limit ?? DEFAULT_ENTRIES_LIMIT);
    let end = o.end ?? size;
    let start = o.start ?? (end > limit ? end - limit : 0n);
    if (o.start !== undefined && o.end === undefined && start + limit < end) end = start + limit;
    if (start > end) throw new CliError('USAGE', `--start ${start} is after --end ${end}`);
    if (format === 'table' || wide) {
      const header = ['INDEX', 'TIME', 'CLUSTER', 'ACTION', 'OBJECT', 'USER', 'HTTP'];
      if (wide) header.push(...WIDE_HEADERS);
      if (verifier !== undefined) header.push('VERIFIED');
      println(bold(padRow(header, wide)));
    }
    while (start < end) {
      const to = start + PAGE < end ? start + PAGE : end;
      let page: Entry[];
      try {
        page = await api.getEntries(start, to);
      } catch (err) {
        throw callFailed(o.grpc, err);
      }
      if (page.length === 0) break;
      await print(page);
      start = (page[page.length - 1]?.index ?? start) + 1n;
    }
    if (o.follow === true) {
      try {
        for await (const e of api.watchEntries(start)) {
          await print([e]);
          tally.finish();
        }
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw callFailed(o.grpc, err);
      }
    }
  } finally {
    api.close();
  }
  tally.finish();
}

async function verdictsOf(
  verifier: EntryVerifier | undefined,
  page: Entry[],
  address: string,
): Promise<(EntryVerdict | undefined)[]> {
  if (verifier === undefined) return page.map(() => undefined);
  return call(address, () => verifier.verify(page));
}

async function treeSize(api: LedgerApi, address: string): Promise<bigint> {
  try {
    const note = (await api.getCheckpoint()).note;
    return parseCheckpoint(parseNote(note).text).size;
  } catch (err) {
    throw callFailed(address, err);
  }
}

// Widths are not known ahead of a stream, so rows are padded to fixed, generous columns.
const WIDTHS = [8, 25, 10, 7, 48, 36, 5];
const WIDE_WIDTHS = [...WIDTHS, 7, 16, 24, 32];

function show(e: Entry, v: EntryVerdict | undefined, format: OutputFormat): void {
  const change = changeOfLeaf(e.leaf);
  const hashOk = Buffer.compare(leafHash(e.leaf), e.leafHash) === 0;
  if (format === 'json' || format === 'yaml') {
    const line = {
      index: e.index,
      leafHash: b64(e.leafHash),
      leafHashMatches: hashOk,
      change: change ?? null,
      ...(v !== undefined ? { verification: verdictJson(v) } : {}),
    };
    if (format === 'json') printJson(line);
    else printYamlDocument(line);
    return;
  }
  const wide = format === 'wide';
  const cells =
    change === undefined
      ? [e.index.toString(), red('(not a change: malformed leaf)')]
      : [...changeCells(e.index, change), ...(wide ? wideCells(change) : [])];
  if (v !== undefined) cells.push(verdictLabel(v));
  if (!hashOk) cells.push(red('leaf hash mismatch'));
  println(padRow(cells, wide));
}

// Visible width ignores colour escapes, so coloured cells pad like plain ones.
const visible = (s: string): number => s.replace(/\u001b\[[0-9;]*m/g, '').length;

function padRow(cells: string[], wide: boolean): string {
  const widths = wide ? WIDE_WIDTHS : WIDTHS;
  return cells
    .map((c, i) => (i < cells.length - 1 ? c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visible(c))) : c))
    .join('  ');
}
