// Full text for dotted and dashed identifiers (hosts, names, users): a second contentless FTS5
// table holding, per column, each pair of adjacent tokens of search_fts's tokenizer as one token
// (`shop.example.com` gives `shop_example example_com`). A term of k >= 2 tokens is the phrase of
// its k-1 pairs there, which matches exactly where the k-token phrase matches in search_fts (the
// pairs at consecutive positions spell consecutive tokens), but starts from a rare pair instead of
// leapfrogging through the posting lists of `example` and `com`, which are in nearly every row.
// The pairs are made here, so only ASCII text (where unicode61 is: fold A-Z, tokens are runs of
// [a-z0-9]) is split this way; a row with other characters is listed in search_fts_slow and its
// terms are matched in search_fts.

/** The columns of search_fts and search_fts_pairs, in order. */
export const FTS_COLUMNS = ['reason', 'username', 'names', 'hosts', 'annotations'] as const;

export type FtsText = Record<(typeof FTS_COLUMNS)[number], string>;

// Printable ASCII and whitespace: tokens are exactly what unicode61 makes of them.
const PLAIN = /^[\t\n\r\x20-\x7e]*$/;

/** unicode61's tokens of ASCII text. */
function tokens(s: string): string[] {
  return s
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');
}

function pairs(ts: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < ts.length; i++) out.push(`${ts[i]}_${ts[i + 1]}`);
  return out;
}

/** The pair columns of a row, or undefined when some column is not plain ASCII. */
export function pairColumns(t: FtsText): string[] | undefined {
  const out: string[] = [];
  for (const c of FTS_COLUMNS) {
    if (!PLAIN.test(t[c])) return undefined;
    out.push(pairs(tokens(t[c])).join(' '));
  }
  return out;
}

/**
 * The FTS5 phrase over search_fts_pairs for a term of two or more tokens, or undefined when the
 * term must be matched in search_fts (one token, none, or not plain ASCII).
 */
export function pairPhrase(term: string): string | undefined {
  if (!PLAIN.test(term)) return undefined;
  const ps = pairs(tokens(term));
  return ps.length === 0 ? undefined : `"${ps.join(' ')}"`;
}
