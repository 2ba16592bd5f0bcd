// Measures note verification throughput with each crypto provider (node:crypto vs noble).
// Run: npx tsc -p . && node dist/loadtest/tlog-verify.js [seconds per case, default 2]
import { performance } from 'node:perf_hooks';
import { selectCrypto } from '../packages/runtime/index.js';
import {
  type CryptoProvider,
  cosignatureVkey,
  cosignCheckpoint,
  formatCheckpoint,
  formatNote,
  generateKey,
  mergeSignatures,
  openNote,
  parseNote,
  parsePolicy,
  parseVkey,
  setCrypto,
  signNote,
  verifyCheckpointNote,
} from '../packages/tlog/index.js';
import { nobleCrypto, nodeCrypto } from '../packages/tlog/testing.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

/** How long each case runs unless a duration is given on the command line. */
const DEFAULT_SECONDS = 2;
/** A typical leaf: one line of canonical JSON of an Ingress change, a few KiB. */
const LEAF_TEXT_BYTES = 4096;

const seconds = Number(process.argv[2] ?? DEFAULT_SECONDS);
if (!(seconds > 0)) {
  console.error('usage: tlog-verify [seconds per case]');
  process.exit(2);
}

function rate(fn: () => void): number {
  for (let i = 0; i < 50; i++) fn(); // warm up the JIT and the key cache
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  return n / ((performance.now() - start) / 1000);
}

const collector = generateKey('collector/bench');
const log = generateKey('ingress-ledger.local/bench');
const witnesses = [1, 2, 3].map((i) => generateKey(`witness${i}.example`));
const leafText = `{"schema":"ingress-ledger.change/v1","pad":"${'x'.repeat(LEAF_TEXT_BYTES - 48)}"}\n`;
const leaf = new TextEncoder().encode(signNote(leafText, collector));
const collectorKeys = [parseVkey(collector.vkey)];
const body = formatCheckpoint({
  origin: log.name,
  size: 123456n,
  rootHash: new Uint8Array(32).fill(3),
  extensions: [],
});
const cosigned = formatNote(
  mergeSignatures(
    parseNote(signNote(body, log)),
    witnesses.map((w) => cosignCheckpoint(body, w, 1_700_000_000n)),
  ),
);
const policy = parsePolicy(
  `log ${log.vkey}\n${witnesses.map((w, i) => `witness w${i} ${cosignatureVkey(w)}`).join('\n')}\n` +
    'group all-three all w0 w1 w2\nquorum all-three\n',
);

const cases: [string, () => void][] = [
  ['open leaf note (4 KiB, 1 sig)', () => openNote(leaf, collectorKeys)],
  ['verify checkpoint (log + 3 cosigs)', () => verifyCheckpointNote(cosigned, policy)],
  ['sign leaf note (4 KiB)', () => signNote(leafText, collector)],
];
const providers: CryptoProvider[] = [nodeCrypto, nobleCrypto];
const rows: string[][] = [];
for (const [name, fn] of cases) {
  const rates = providers.map((p) => {
    setCrypto(p);
    return rate(fn);
  });
  const [fast = 0, slow = 0] = rates;
  rows.push([name, ...rates.map((r) => `${r.toFixed(0)}/s`), `${(fast / slow).toFixed(1)}x`]);
}
setCrypto(nodeCrypto);

const header = ['case', ...providers.map((p) => p.name), 'node/noble'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
console.log(`note verification, ${seconds}s per case, node ${process.version}`);
console.log(line(header));
for (const r of rows) console.log(line(r));
