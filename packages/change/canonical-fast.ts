// A one-pass test that JSON text is already in its RFC 8785 form, for the common shape of a change
// (escape-free keys, plain strings, integers). The library (canonical.ts) stays the definition:
// this scan only ever answers "certainly canonical" or "not shown", so it may send any text back
// to the library, and it must never call canonical a text the library would not reproduce.

/** Integers of at most this many digits are below 2^53, so they print back exactly as written. */
const MAX_INT_DIGITS = 15;
/** Deeper nesting is left to the library (and the scan never recurses deeper than this). */
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** A run of characters a string holds as they are: anything but a quote, backslash, control or surrogate. */
const PLAIN = /[^"\\\u0000-\u001f\ud800-\udfff]*/y;

/** Thrown inside the scan when it cannot show the text canonical; never escapes this module. */
const NOT_SHOWN = Symbol('not shown');

class Scan {
  pos = 0;
  constructor(readonly s: string) {}

  fail(): never {
    throw NOT_SHOWN;
  }

  value(depth: number): void {
    if (depth > MAX_DEPTH) this.fail();
    const c = this.s.charCodeAt(this.pos);
    if (c === QUOTE) this.string(false);
    else if (c === OPEN_OBJECT) this.object(depth);
    else if (c === OPEN_ARRAY) this.array(depth);
    else if (c === MINUS || (c >= ZERO && c <= NINE)) this.integer();
    else if (!this.literal('true') && !this.literal('false') && !this.literal('null')) this.fail();
  }

  literal(word: string): boolean {
    if (!this.s.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  /** An integer as Number#toString prints it: no leading zero, no "-0", no fraction or exponent. */
  integer(): void {
    const s = this.s;
    if (s.charCodeAt(this.pos) === MINUS) this.pos++;
    const start = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c < ZERO || c > NINE) break;
      this.pos++;
    }
    const digits = this.pos - start;
    if (digits === 0 || digits > MAX_INT_DIGITS) this.fail();
    if (s.charCodeAt(start) === ZERO && (digits > 1 || (start > 0 && s.charCodeAt(start - 1) === MINUS)))
      this.fail();
    const next = s.charCodeAt(this.pos);
    // ".", "e" and "E" start a fraction or exponent: left to the library.
    if (next === 0x2e || next === 0x65 || next === 0x45) this.fail();
  }

  /**
   * A string as JSON.stringify writes it: raw characters from U+0020 up (whole surrogate pairs
   * only), and only the two-character escapes it uses. With `key`, no escapes at all, so the
   * returned slice is the key's value.
   */
  string(key: boolean): string {
    const s = this.s;
    const start = ++this.pos;
    for (;;) {
      PLAIN.lastIndex = this.pos;
      PLAIN.test(s);
      this.pos = PLAIN.lastIndex;
      if (this.pos >= s.length) this.fail();
      const c = s.charCodeAt(this.pos);
      if (c === QUOTE) break;
      if (c < 0x20) this.fail();
      if (c === BACKSLASH) {
        if (key) this.fail();
        const e = s.charCodeAt(this.pos + 1);
        // \" \\ \b \f \n \r \t; not \/ and not \u (the library writes those characters raw, or
        // as \u00xx for other controls: escapes it would write are left to it).
        if (
          e !== QUOTE &&
          e !== BACKSLASH &&
          e !== 0x62 &&
          e !== 0x66 &&
          e !== 0x6e &&
          e !== 0x72 &&
          e !== 0x74
        )
          this.fail();
        this.pos += 2;
        continue;
      }
      // A surrogate: only a high one followed by a low one is a character the library writes raw.
      const low = s.charCodeAt(this.pos + 1);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) this.fail();
      this.pos += 2;
    }
    const text = s.slice(start, this.pos);
    this.pos++;
    return text;
  }

  object(depth: number): void {
    const s = this.s;
    this.pos++;
    if (s.charCodeAt(this.pos) === CLOSE_OBJECT) {
      this.pos++;
      return;
    }
    let previous: string | undefined;
    for (;;) {
      if (s.charCodeAt(this.pos) !== QUOTE) this.fail();
      const name = this.string(true);
      // Strictly ascending in UTF-16 code units, as Array#sort orders the library's keys: this
      // also refuses a duplicate key, which JSON.parse would silently collapse.
      if (previous !== undefined && !(previous < name)) this.fail();
      previous = name;
      if (s.charCodeAt(this.pos) !== COLON) this.fail();
      this.pos++;
      this.value(depth + 1);
      const c = s.charCodeAt(this.pos++);
      if (c === CLOSE_OBJECT) return;
      if (c !== COMMA) this.fail();
    }
  }

  array(depth: number): void {
    const s = this.s;
    this.pos++;
    if (s.charCodeAt(this.pos) === CLOSE_ARRAY) {
      this.pos++;
      return;
    }
    for (;;) {
      this.value(depth + 1);
      const c = s.charCodeAt(this.pos++);
      if (c === CLOSE_ARRAY) return;
      if (c !== COMMA) this.fail();
    }
  }
}

/**
 * True only when `text` is JSON and `canonicalJson(JSON.parse(text)) === text`. False means not
 * shown: the text may still be canonical (a fraction, a \u escape, deep nesting), so a caller that
 * must decide asks the library.
 */
export function isSurelyCanonical(text: string): boolean {
  const scan = new Scan(text);
  try {
    scan.value(0);
  } catch (err) {
    if (err === NOT_SHOWN) return false;
    throw err;
  }
  return scan.pos === text.length;
}
