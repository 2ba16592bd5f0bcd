// One entry's evidence as the console offers it for download: the same files as
// `ingress-ledger prove --bundle` (DESIGN 3.6), so the README's command works on it as is.
import { encodeBase64, leafHash } from '../../../packages/tlog/index.js';
import type { PublishedCheckpoint } from '../checkpointer.js';
import type { TrustJson } from './entry-json.js';

export interface EvidenceFile {
  name: string;
  data: Uint8Array;
}

export interface EvidenceInput {
  index: bigint;
  leaf: Uint8Array;
  tlogProof: string;
  bodies: readonly { sha256: string; data: Uint8Array }[];
  checkpoint: PublishedCheckpoint;
  trust: TrustJson;
}

const utf8 = new TextEncoder();

export function evidenceFiles(e: EvidenceInput): EvidenceFile[] {
  const base = `entry-${e.index}`;
  const dir = `${base}-evidence`;
  const file = (name: string, data: string | Uint8Array): EvidenceFile => ({
    name: `${dir}/${name}`,
    data: typeof data === 'string' ? utf8.encode(data) : data,
  });
  const bodies = e.bodies.map((b) => file(`${base}.body-${b.sha256}.json`, b.data));
  const manifest = {
    origin: e.checkpoint.origin,
    treeSize: e.checkpoint.size.toString(),
    rootHash: encodeBase64(e.checkpoint.rootHash),
    leafHash: encodeBase64(leafHash(e.leaf)),
    entries: [
      {
        index: e.index.toString(),
        leaf: `${base}.leaf`,
        proof: `${base}.tlog-proof`,
        bodies: bodies.map((b) => b.name.slice(dir.length + 1)),
      },
    ],
  };
  return [
    file('README.md', readme(e, base)),
    file(`${base}.leaf`, e.leaf),
    file(`${base}.tlog-proof`, e.tlogProof),
    ...bodies,
    file('policy', e.trust.policy),
    file('collector.vkeys', e.trust.collectorVkeys.map((k) => `${k}\n`).join('')),
    file('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`),
  ];
}

function readme(e: EvidenceInput, base: string): string {
  return `# Evidence for entry ${e.index} of the ingress-ledger log ${e.checkpoint.origin}

Downloaded from the ledger's web console. The files prove, without trusting the log's operator,
that entry ${e.index} is in the log as its cosigned checkpoint (tree size ${e.checkpoint.size}) commits
to it, and that a collector key signed the change.

| file | what it is |
|---|---|
| \`${base}.leaf\` | the leaf: a C2SP signed note holding the change as RFC 8785 canonical JSON |
| \`${base}.tlog-proof\` | a C2SP tlog-proof@v1: index, inclusion proof and the cosigned checkpoint |
| \`policy\` | the tlog-policy the ledger publishes under: log key, witness keys, quorum |
| \`collector.vkeys\` | the collector keys the ledger accepts |
| \`manifest.json\` | the same list, for scripts |

The policy and the keys came from the same server as the proof. Compare them with copies you
obtained independently before you rely on the result.

## Verify offline

\`\`\`
ingress-ledger verify --policy policy --proof ${base}.tlog-proof --leaf ${base}.leaf \\
  --collector-vkeys collector.vkeys
\`\`\`

Exit status 0 means every check passed; 1 names the check that failed. Any implementation of the
C2SP signed-note, tlog-checkpoint, tlog-cosignature, tlog-policy and tlog-proof specifications can
check the same files.
`;
}
