// The README of an evidence bundle: what the files are and how to verify them with this tool or
// with any other implementation of the C2SP specifications.

export interface BundleInfo {
  origin: string;
  size: bigint;
  rootHash: string;
  indexes: readonly bigint[];
  createdAt: string;
  hasCollectorKeys: boolean;
  hasPolicy: boolean;
}

export function evidenceReadme(b: BundleInfo): string {
  const first = b.indexes[0] ?? 0n;
  return `# Evidence from the ingress-ledger log ${b.origin}

Each entry here is one audited change to a Kubernetes Ingress (or Gateway API) object, recorded in
a transparency log. The files prove, without trusting the log's operator, that the entry is in the
log as the log's checkpoint commits to it, and that a collector you trust signed it.

- Checkpoint: tree size ${b.size}, root hash \`${b.rootHash}\`
- Entries: ${b.indexes.join(', ')}
- Written: ${b.createdAt}

## Files

| file | what it is |
|---|---|
| \`entry-N.leaf\` | the entry's leaf: a C2SP signed note whose text is the change as RFC 8785 canonical JSON, signed by the collector (\`collector/<cluster>\`) |
| \`entry-N.tlog-proof\` | a C2SP tlog-proof@v1: index, RFC 6962 inclusion proof, and the log's cosigned checkpoint |
| \`entry-N.body-<sha256>.json\` | a request or response body kept outside its leaf; the leaf holds its SHA-256 and size |
| \`policy\` | ${b.hasPolicy ? 'the C2SP tlog-policy the bundle was checked with: the log key, the witness keys and the quorum' : 'absent: bring your own tlog-policy'} |
| \`collector.vkeys\` | ${b.hasCollectorKeys ? 'the collector verifier keys the bundle was checked with' : 'absent: bring the collector keys you trust'} |
| \`manifest.json\` | a list of the above, for scripts |

Do not take the policy and the keys from this folder on trust: compare them with the ones you
obtained independently (from the log operator's published configuration, the witnesses' operators,
and the cluster's collector).

## Verify with ingress-ledger

\`\`\`
ingress-ledger verify --policy policy --proof entry-${first}.tlog-proof --leaf entry-${first}.leaf \\
  --collector-vkeys collector.vkeys
\`\`\`

Exit status 0 means every check passed; 1 names the check that failed.

## Verify with any other implementation

The formats are open specifications (https://c2sp.org), so any conforming tool can check them:

1. **Checkpoint** (c2sp.org/tlog-checkpoint, c2sp.org/signed-note): the note after the first empty
   line of the \`.tlog-proof\` must carry a valid Ed25519 signature by the log key in the policy
   (key id = first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)).
2. **Witnesses** (c2sp.org/tlog-cosignature, c2sp.org/tlog-policy): cosignature/v1 signature lines
   (key id with type byte 0x04; signature = 8-byte big-endian time || Ed25519 signature over
   \`cosignature/v1\\ntime <t>\\n\` followed by the checkpoint text) must satisfy the policy's quorum.
3. **Inclusion** (c2sp.org/tlog-proof, RFC 9162 section 2.1.3.2): the leaf hash is
   SHA-256(0x00 || leaf bytes); the proof lines lead from it at \`index\` to the checkpoint's root.
4. **Collector signature** (c2sp.org/signed-note): the leaf is a signed note; its signature line
   by \`collector/<cluster>\` must verify with a collector key you trust, and the JSON's \`cluster\`
   must be that cluster.
5. **Bodies**: a body file's SHA-256 (lower-case hex) must equal the \`sha256\` the leaf holds.

A Go program can do steps 1 to 3 with golang.org/x/mod/sumdb/note and
golang.org/x/mod/sumdb/tlog (or filippo.io/torchwood); step 4 with the same note package.
`;
}
