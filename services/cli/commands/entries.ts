// `ingress-ledger entries`: list entries by index, or follow new ones as they are appended.
import { Command } from 'commander';
import type { Entry } from '../../../packages/proto/index.js';
import { leafHash, parseCheckpoint, parseNote } from '../../../packages/tlog/index.js';
import { type ClientOptions, changeOfLeaf, openLedger, withClientOptions } from '../client-options.js';
import { CliError } from '../errors.js';
import { parseIndex, positiveInt } from '../flags.js';
import { callFailed, type LedgerApi } from '../ledger-client.js';
import { b64, bold, printJson, println, red } from '../output.js';
import { changeCells } from '../render-change.js';

/** Entries shown when neither --start nor --limit is given: the newest few. */
export const DEFAULT_ENTRIES_LIMIT = 20;
/** Entries asked for per call. */
const PAGE = 500n;

interface EntriesOptions extends ClientOptions {
  start?: bigint;
  end?: bigint;
  limit?: number;
  follow?: boolean;
}

export function entriesCommand(): Command {
  return withClientOptions(new Command('entries'))
    .description("list log entries (the newest 20 by default); the server's data, not verified: use audit")
    .option('--start <index>', 'first index', parseIndex)
    .option('--end <index>', "one past the last index (default: the checkpoint's tree size)", parseIndex)
    .option('--limit <n>', 'at most this many entries', positiveInt(1_000_000))
    .option('--follow', 'keep printing new entries as they are appended')
    .action((o: EntriesOptions) => entries(o));
}

async function entries(o: EntriesOptions): Promise<void> {
  const api = openLedger(o);
  try {
    const size = await treeSize(api, o.grpc);
    const limit = BigInt(o.limit ?? DEFAULT_ENTRIES_LIMIT);
    let end = o.end ?? size;
    let start = o.start ?? (end > limit ? end - limit : 0n);
    if (o.start !== undefined && o.end === undefined && start + limit < end) end = start + limit;
    if (start > end) throw new CliError('USAGE', `--start ${start} is after --end ${end}`);
    if (o.json !== true)
      println(bold(padRow(['INDEX', 'TIME', 'CLUSTER', 'ACTION', 'OBJECT', 'USER', 'HTTP'])));
    while (start < end) {
      const to = start + PAGE < end ? start + PAGE : end;
      let page: Entry[];
      try {
        page = await api.getEntries(start, to);
      } catch (err) {
        throw callFailed(o.grpc, err);
      }
      if (page.length === 0) break;
      for (const e of page) show(e, o.json === true);
      start = (page[page.length - 1]?.index ?? start) + 1n;
    }
    if (o.follow === true) {
      try {
        for await (const e of api.watchEntries(start)) show(e, o.json === true);
      } catch (err) {
        throw callFailed(o.grpc, err);
      }
    }
  } finally {
    api.close();
  }
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
const WIDTHS = [8, 25, 10, 7, 48, 36];

function show(e: Entry, json: boolean): void {
  const change = changeOfLeaf(e.leaf);
  const hashOk = Buffer.compare(leafHash(e.leaf), e.leafHash) === 0;
  if (json) {
    printJson({ index: e.index, leafHash: b64(e.leafHash), leafHashMatches: hashOk, change: change ?? null });
    return;
  }
  const cells =
    change === undefined
      ? [e.index.toString(), red('(not a change: malformed leaf)')]
      : changeCells(e.index, change);
  if (!hashOk) cells.push(red('leaf hash mismatch'));
  println(padRow(cells));
}

function padRow(cells: string[]): string {
  return cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(WIDTHS[i] ?? 0) : c)).join('  ');
}
