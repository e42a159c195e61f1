// Text the CLI prints for a person carries names chosen by whoever made the files (or pushed
// the snapshot, or runs the server): a name with ESC sequences could clear the screen, retitle
// the terminal or fake a line of output, a newline could fake a whole entry, and bidi
// overrides can make "evil\u202egpj.exe" read as "evilexe.jpg". Every text line therefore
// passes through printable() on its way out (output.ts, main.ts); --json output keeps exact
// strings, which JSON escapes by itself.
//
// The escaping is unambiguous: a backslash is always doubled, so "\x1b" in the output is
// an escaped ESC and "\\x1b" the four characters a name really had. Names that are not
// valid UTF-8 reach here as their lossy rendering (U+FFFD for each bad sequence, as
// TreeEntry.name and showPath give them), printed as is: --json and restores keep the bytes.

/**
 * What is escaped: C0 controls and DEL (\xHH); C1 controls, the line and paragraph
 * separators U+2028/U+2029 (line breaks to some viewers), the bidi embeddings, overrides
 * and isolates U+202A-U+202E and U+2066-U+2069, and lone surrogates (which cannot be
 * written as UTF-8 at all) as \uHHHH; and the backslash itself.
 */
const UNSAFE = /[\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;

function escape(ch: string): string {
  if (ch === '\\') return '\\\\';
  const code = ch.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` safe to write to a terminal: one line, no control sequences, no reordering. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escape);
}
