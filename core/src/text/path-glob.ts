// Shell-glob patterns over a snapshot's paths: `*` and `?` within one path component, `**`
// across components, `[...]` classes. A pattern without `/` matches an entry's name at any
// depth (`*.o`, `node_modules`); one with `/` matches the entry's path as stored in the
// snapshot (`src/**/tmp`, `/home/*/.cache`), anchored at both ends. `haven backup --exclude`
// leaves out what they match; `haven find` and the appliance's search answer it.

/** (path as stored in the snapshot, name) => whether the entry matches. */
export type PathMatcher = (storedPath: string, name: string) => boolean;

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more whole components
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i++;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export function pathMatcher(patterns: readonly string[]): PathMatcher {
  const byName: RegExp[] = [];
  const byPath: RegExp[] = [];
  for (const p of patterns) {
    const trimmed = p.endsWith('/') && p.length > 1 ? p.slice(0, -1) : p;
    if (trimmed.includes('/')) byPath.push(globToRegExp(trimmed.replace(/^\.\//, '')));
    else byName.push(globToRegExp(trimmed));
  }
  if (byName.length === 0 && byPath.length === 0) return () => false;
  return (storedPath, name) => byName.some((r) => r.test(name)) || byPath.some((r) => r.test(storedPath));
}
