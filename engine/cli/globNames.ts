/**
 * Cluster and service names as SkyPilot's verbs take them: literal names, or fnmatch glob
 * patterns (`*`, `?`, `[seq]`, `[!seq]`) matched against what exists (`down "dev-*"`).
 */

export function isGlob(name: string): boolean {
  return /[*?[]/.test(name);
}

/** fnmatch's translation of a pattern to an anchored regular expression. */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/**
 * The names `patterns` select among `existing`, in the order given, each once. Literal
 * names are kept even when they do not exist (the verb reports them); a glob that
 * matches nothing is reported through `onNoMatch`.
 */
export function expandNames(patterns: readonly string[], existing: readonly string[], onNoMatch?: (pattern: string) => void): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    if (!isGlob(p)) {
      if (!out.includes(p)) out.push(p);
      continue;
    }
    const re = globRegExp(p);
    const hits = existing.filter((n) => re.test(n));
    if (!hits.length) onNoMatch?.(p);
    for (const h of hits) if (!out.includes(h)) out.push(h);
  }
  return out;
}
