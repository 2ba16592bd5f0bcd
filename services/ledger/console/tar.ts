// A POSIX ustar archive of a few small files: how the console hands over an evidence bundle as one
// download with no archive library. Names are ours (entry-N-evidence/...), never the client's.

const BLOCK = 512;
const utf8 = new TextEncoder();

function field(h: Uint8Array, at: number, len: number, text: string): void {
  const b = utf8.encode(text);
  if (b.length > len) throw new RangeError(`tar header field too long: ${text}`);
  h.set(b, at);
}

function octal(n: number, len: number): string {
  return `${n.toString(8).padStart(len - 1, '0')}\0`;
}

function header(name: string, size: number, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  field(h, 0, 100, name);
  field(h, 100, 8, octal(0o644, 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(size, 12));
  field(h, 136, 12, octal(mtime, 12));
  field(h, 148, 8, '        '); // checksum counts as spaces while it is computed
  field(h, 156, 1, '0');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** The archive's bytes: each file's header and data padded to 512, then two zero blocks. */
export function tarArchive(files: readonly { name: string; data: Uint8Array }[], mtime: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const f of files) {
    const pad = (BLOCK - (f.data.length % BLOCK)) % BLOCK;
    parts.push(header(f.name, f.data.length, mtime), f.data, new Uint8Array(pad));
    total += BLOCK + f.data.length + pad;
  }
  parts.push(new Uint8Array(2 * BLOCK));
  total += 2 * BLOCK;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
