// What free text a client may send: names, descriptions and searches reach a provider, the store,
// the logs and the console, so each is checked before any of them sees it.
import { z } from 'zod';

/** A UTF-16 surrogate without its pair: no UTF-8 encodes it (encodeURIComponent throws on it). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** The same, but tabs and line breaks, which free text may hold. */
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/**
 * Bidirectional embeddings and overrides: they make one name read as another on a page or in a log.
 * Isolates (U+2066–U+2069) and marks stay allowed: they are how Latin text sits inside an Arabic or
 * Hebrew name. Only in closed pairs, though: an isolate left open reorders what follows the name.
 */
const BIDI_CONTROL = /[\u202a-\u202e]/;

/** Every isolate (LRI, RLI, FSI) closed by a PDI, and no PDI without one. */
function isolatesPaired(s: string): boolean {
  let open = 0;
  for (const c of s) {
    if (c === '\u2066' || c === '\u2067' || c === '\u2068') open++;
    else if (c === '\u2069' && --open < 0) return false;
  }
  return open === 0;
}

/** Text of at most `max` characters (`what` names it in the messages), without the `controls` `which` describes. */
const text = (what: string, max: number, controls: RegExp, which: string) =>
  z
    .string()
    .refine((s) => s.length <= max, `${what} must be at most ${max} characters.`)
    .refine((s) => !LONE_SURROGATE.test(s), `${what} must be valid Unicode text (it holds half of a surrogate pair).`)
    .refine((s) => !controls.test(s), `${what} must not contain ${which}.`)
    .refine((s) => !BIDI_CONTROL.test(s), `${what} must not contain bidirectional embeddings or overrides (U+202A–U+202E).`)
    .refine(isolatesPaired, `${what} must close each bidirectional isolate it opens (U+2066–U+2068 with U+2069).`);

/** One line of text of at most `max` characters. */
export const oneLine = (what: string, max: number) => text(what, max, CONTROL, 'control characters (line breaks, tabs, NUL…)');

/** Free text of at most `max` characters: tabs and line breaks allowed, other controls not. */
export const freeText = (what: string, max: number) => text(what, max, CONTROL_BUT_LINES, 'control characters other than tabs and line breaks (NUL, ESC…)');
