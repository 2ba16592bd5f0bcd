// C2SP tlog-policy: which logs and witnesses are trusted and which cosignatures make a quorum.
import { type Checkpoint, cosignatureVerifier, parseCheckpoint } from './checkpoint.js';
import { parseDecimal } from './encoding.js';
import { TlogError } from './errors.js';
import {
  KEY_TYPE_COSIGNATURE_V1,
  KEY_TYPE_ED25519,
  openNote,
  type PublicKey,
  parseVkey,
  type Verifier,
} from './note.js';

export interface PolicyLog {
  vkey: PublicKey;
  url?: string;
}
export interface PolicyWitness {
  name: string;
  vkey: string;
  url?: string;
}
export interface PolicyGroup {
  name: string;
  /** How many members must be satisfied. */
  threshold: number;
  members: string[];
}
export interface Policy {
  logs: PolicyLog[];
  witnesses: PolicyWitness[];
  groups: PolicyGroup[];
  /** The name of the witness or group that must be satisfied, or 'none'. */
  quorum: string;
}

/** The predefined quorum name that requires no cosignature. */
export const QUORUM_NONE = 'none';
/** Lines a policy file may have; the spec recommends supporting 32 logs, witnesses and groups. */
export const MAX_POLICY_LINES = 4096;
/** Members of one group; more than this is BAD_POLICY. */
export const MAX_GROUP_MEMBERS = 256;

// Only tab, newline, printable ASCII and high octets are allowed (tlog-policy "Character set").
const BAD_CHAR_RE = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const FIELD_SEP_RE = /[ \t]+/;
// Not String.trim: only ASCII space and tab are whitespace here, other octets are name material.
const EDGE_SPACE_RE = /^[ \t]+|[ \t]+$/g;

function bad(line: number, why: string): never {
  throw new TlogError('BAD_POLICY', line > 0 ? `line ${line}: ${why}` : why);
}

function parseKey(text: string, type: number, line: number): PublicKey {
  let key: PublicKey;
  try {
    key = parseVkey(text);
  } catch {
    return bad(line, 'invalid vkey');
  }
  if (key.type !== type) bad(line, `vkey must have signature type ${type}`);
  return key;
}

function parseThreshold(text: string, n: number, line: number): number {
  if (text === 'all') return n;
  if (text === 'any') return 1;
  let k: bigint;
  try {
    k = parseDecimal(text);
  } catch {
    return bad(line, 'group threshold must be all, any or a decimal number');
  }
  if (k < 1n || k > BigInt(n)) bad(line, 'group threshold out of range 1..n');
  return Number(k);
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function parsePolicy(text: string): Policy {
  if (BAD_CHAR_RE.test(text)) bad(0, 'control character in policy');
  const lines = text.split('\n');
  if (lines.length > MAX_POLICY_LINES) bad(0, 'policy too long');
  const p: Policy = { logs: [], witnesses: [], groups: [], quorum: '' };
  const names = new Set<string>();
  const witnessKeys: PublicKey[] = [];
  let quorum: string | undefined;
  lines.forEach((raw, i) => {
    const n = i + 1;
    const fields = raw.replace(EDGE_SPACE_RE, '').split(FIELD_SEP_RE);
    const [keyword = '', ...args] = fields;
    if (keyword === '' || keyword.startsWith('#')) return;
    switch (keyword) {
      case 'log': {
        if (args.length < 1 || args.length > 2) bad(n, 'want: log <vkey> [url]');
        const vkey = parseKey(args[0] ?? '', KEY_TYPE_ED25519, n);
        if (p.logs.some((l) => sameKey(l.vkey.publicKey, vkey.publicKey))) bad(n, 'duplicate log key');
        p.logs.push(args[1] === undefined ? { vkey } : { vkey, url: args[1] });
        return;
      }
      case 'witness': {
        if (args.length < 2 || args.length > 3) bad(n, 'want: witness <name> <vkey> [url]');
        const [name = '', vkeyText = '', url] = args;
        if (name === QUORUM_NONE || names.has(name)) bad(n, `name ${name} already defined`);
        const vkey = parseKey(vkeyText, KEY_TYPE_COSIGNATURE_V1, n);
        if (witnessKeys.some((k) => sameKey(k.publicKey, vkey.publicKey))) bad(n, 'duplicate witness key');
        witnessKeys.push(vkey);
        names.add(name);
        p.witnesses.push(url === undefined ? { name, vkey: vkeyText } : { name, vkey: vkeyText, url });
        return;
      }
      case 'group': {
        if (args.length < 3) bad(n, 'want: group <name> <k|all|any> <member>...');
        const [name = '', k = '', ...members] = args;
        if (name === QUORUM_NONE || names.has(name)) bad(n, `name ${name} already defined`);
        if (members.length > MAX_GROUP_MEMBERS) bad(n, 'too many group members');
        const seen = new Set<string>();
        for (const m of members) {
          // Only earlier names may be members, which also makes cycles impossible.
          if (!names.has(m)) bad(n, `unknown member ${m}`);
          if (seen.has(m)) bad(n, `member ${m} listed twice`);
          seen.add(m);
        }
        p.groups.push({ name, threshold: parseThreshold(k, members.length, n), members });
        names.add(name);
        return;
      }
      case 'quorum': {
        if (args.length !== 1) bad(n, 'want: quorum <name>');
        if (quorum !== undefined) bad(n, 'more than one quorum line');
        const name = args[0] ?? '';
        if (name !== QUORUM_NONE && !names.has(name)) bad(n, `unknown quorum ${name}`);
        quorum = name;
        return;
      }
      default:
        bad(n, 'unknown keyword');
    }
  });
  if (quorum === undefined) bad(0, 'no quorum line');
  p.quorum = quorum;
  return p;
}

export function formatPolicy(p: Policy): string {
  const out: string[] = [];
  for (const l of p.logs)
    out.push(l.url === undefined ? `log ${l.vkey.vkey}` : `log ${l.vkey.vkey} ${l.url}`);
  for (const w of p.witnesses)
    out.push(`witness ${w.name} ${w.vkey}${w.url === undefined ? '' : ` ${w.url}`}`);
  for (const g of p.groups) out.push(`group ${g.name} ${g.threshold} ${g.members.join(' ')}`);
  out.push(`quorum ${p.quorum}`);
  const text = `${out.join('\n')}\n`;
  parsePolicy(text); // a policy built in code obeys the same rules as one read from a file
  return text;
}

export function quorumMet(p: Policy, cosigned: ReadonlySet<string>): boolean {
  if (p.quorum === QUORUM_NONE) return true;
  const groups = new Map(p.groups.map((g) => [g.name, g]));
  const witnesses = new Set(p.witnesses.map((w) => w.name));
  const memo = new Map<string, boolean>();
  const visiting = new Set<string>();
  const met = (name: string): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    let result: boolean;
    const g = groups.get(name);
    if (g !== undefined) {
      // A Policy built in code (not parsed) could still contain a cycle.
      if (visiting.has(name)) throw new TlogError('BAD_POLICY', `group ${name} is part of a cycle`);
      visiting.add(name);
      let count = 0;
      for (const m of new Set(g.members)) if (met(m)) count++;
      visiting.delete(name);
      result = count >= g.threshold;
    } else if (witnesses.has(name)) {
      result = cosigned.has(name);
    } else {
      throw new TlogError('BAD_POLICY', `unknown name ${name}`);
    }
    memo.set(name, result);
    return result;
  };
  return met(p.quorum);
}

export function verifyCheckpointNote(
  note: string,
  p: Policy,
): { checkpoint: Checkpoint; cosigners: string[]; logVkey: string } {
  const witnessVerifiers = new Map<Verifier, string>();
  for (const w of p.witnesses) {
    try {
      witnessVerifiers.set(cosignatureVerifier(w.vkey), w.name);
    } catch {
      throw new TlogError('BAD_POLICY', `witness ${w.name} has an invalid vkey`);
    }
  }
  const logKeys: Verifier[] = p.logs.map((l) => l.vkey);
  const { note: parsed, verified } = openNote(note, [...logKeys, ...witnessVerifiers.keys()]);
  const log = p.logs.find((l) => verified.includes(l.vkey));
  if (log === undefined) throw new TlogError('NO_SIGNATURE', 'no signature by a log of the policy');
  const checkpoint = parseCheckpoint(parsed.text);
  if (checkpoint.origin !== log.vkey.name)
    throw new TlogError('NO_SIGNATURE', 'origin does not match the log key name');
  const cosigners = [...witnessVerifiers].filter(([v]) => verified.includes(v)).map(([, name]) => name);
  if (!quorumMet(p, new Set(cosigners))) throw new TlogError('QUORUM_NOT_MET', 'not enough cosignatures');
  return { checkpoint, cosigners, logVkey: log.vkey.vkey };
}
