// C2SP signed-note key names: non-empty, no whitespace, no '+', no control characters, valid UTF-16.
import { hasLoneSurrogate } from './encoding.js';

const BAD_NAME_CHAR_RE = /[\s\u0085+\u0000-\u001f\u007f]/u;

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !BAD_NAME_CHAR_RE.test(name) && !hasLoneSurrogate(name);
}
