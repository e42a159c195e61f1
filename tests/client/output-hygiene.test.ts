// Names come from whoever made the files or pushed the snapshot: text output escapes what a
// terminal would act on, --json keeps them exact.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printable } from '../../client/src/cli/printable.js';
import { showPath } from '../../client/src/fs/names.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { tempDir } from '../helpers/tmp.js';

const EVIL = 'evil\x1b[2Jname\nx';
const BIDI = 'invoice\u202egpj.exe';

test('printable escapes C0, DEL and C1 controls', () => {
  assert.equal(printable(EVIL), 'evil\\x1b[2Jname\\x0ax');
  assert.equal(printable('\x00\x07\t\r\x7f'), '\\x00\\x07\\x09\\x0d\\x7f');
  assert.equal(printable('a\u0085b\u009bc'), 'a\\u0085b\\u009bc');
});

test('printable escapes bidi overrides and isolates, line separators and lone surrogates', () => {
  assert.equal(printable(BIDI), 'invoice\\u202egpj.exe');
  assert.equal(printable('\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069'), '\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069');
  assert.equal(printable('a\u2028b\u2029c'), 'a\\u2028b\\u2029c');
  assert.equal(printable('x\ud800y'), 'x\\ud800y');
});

test('a backslash is always doubled, so an escape and the same characters in a name differ', () => {
  assert.equal(printable('C:\\dir'), 'C:\\\\dir');
  assert.equal(printable('\\x1b'), '\\\\x1b');
  assert.notEqual(printable('\x1b'), printable('\\x1b'));
});

test('ordinary text and UTF-8 pass untouched', () => {
  for (const s of ['plain/path.txt', 'héllo wörld', '日本語/ファイル', 'emoji 😀 and ZWJ 👩‍💻', 'no-break\u00a0space', 'arabic عربي', '']) {
    assert.equal(printable(s), s);
  }
});

test('a name that is not UTF-8 is shown with U+FFFD for each bad sequence, not as raw bytes', () => {
  const shown = showPath(Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x28]));
  assert.equal(shown, 'a\ufffdb\ufffd(');
  assert.equal(printable(shown), shown);
});

test('haven ls, diff and errors print hostile names escaped, --json exact', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  mkdirSync(join(work, 'src'));
  writeFileSync(join(work, 'src', EVIL), 'payload');
  const s1 = await w.json<{ snapshot: { id: string } }>(['backup', '--group', 'names', 'src'], { cwd: work });
  writeFileSync(join(work, 'src', BIDI), 'x');
  const s2 = await w.json<{ snapshot: { id: string } }>(['backup', '--group', 'names', 'src'], { cwd: work });

  const json = await w.json<{ entries: Array<{ path: string }> }>(['ls', 'latest', '--group', 'names']);
  assert.deepEqual(json.entries.map((e) => e.path).sort(), ['src', `src/${BIDI}`, `src/${EVIL}`].sort());

  const ls = await w.run(['ls', 'latest', '--group', 'names']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.ok(!ls.stdout.includes('\x1b') && !ls.stdout.includes('\u202e'), 'no raw ESC or override reaches the terminal');
  const lines = ls.stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 3, 'one line per entry: the newline in the name made none');
  assert.ok(lines.some((l) => l.endsWith(' src/evil\\x1b[2Jname\\x0ax')), ls.stdout);
  assert.ok(lines.some((l) => l.endsWith(' src/invoice\\u202egpj.exe')), ls.stdout);

  const diff = await w.run(['diff', s1.snapshot.id, s2.snapshot.id]);
  assert.equal(diff.code, 0, diff.stderr);
  assert.ok(diff.stdout.split('\n').includes('+ src/invoice\\u202egpj.exe'), diff.stdout);
  assert.ok(!diff.stdout.includes('\u202e'));

  // an error message that names a path: escaped on stderr, exact in the JSON error
  const missing = `src/${EVIL}/absent`;
  const text = await w.run(['ls', 'latest', missing, '--group', 'names']);
  assert.equal(text.code, 6);
  assert.ok(!text.stderr.includes('\x1b') && text.stderr.trimEnd().split('\n').length === 1, text.stderr);
  assert.match(text.stderr, /evil\\x1b\[2Jname\\x0ax\/absent/);
  const asJson = await w.run(['ls', 'latest', missing, '--group', 'names', '--json']);
  assert.ok((JSON.parse(asJson.stdout) as { error: { message: string } }).error.message.includes(missing));
});
