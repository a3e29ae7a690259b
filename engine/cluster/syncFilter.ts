/**
 * Which files of a workdir (or a local file mount) are synced: SkyPilot's rules
 * (skypilot-behavior.md 4.7). If `.skyignore` exists at the root, every `.skyignore` in
 * the tree applies to its own directory (rsync dir-merge); otherwise `.gitignore` files do,
 * plus `.git/info/exclude`. `.git` itself is never synced.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';

export type SyncFilter = (relPath: string) => boolean;

export function syncFilter(rootDir: string): SyncFilter {
  const fileName = fs.existsSync(path.join(rootDir, '.skyignore')) ? '.skyignore' : '.gitignore';
  const perDir = new Map<string, Ignore | null>();

  function rulesFor(relDir: string): Ignore | null {
    if (perDir.has(relDir)) return perDir.get(relDir)!;
    let ig: Ignore | null = null;
    const texts: string[] = [];
    try {
      texts.push(fs.readFileSync(path.join(rootDir, relDir, fileName), 'utf8'));
    } catch {
      /* no rules here */
    }
    if (relDir === '' && fileName === '.gitignore') {
      try {
        texts.push(fs.readFileSync(path.join(rootDir, '.git', 'info', 'exclude'), 'utf8'));
      } catch {
        /* none */
      }
    }
    if (texts.length) ig = ignore().add(texts.join('\n'));
    perDir.set(relDir, ig);
    return ig;
  }

  // relPath is posix, relative to rootDir; directories may end with '/'.
  return (relPath: string): boolean => {
    const clean = relPath.replace(/\/+$/, '');
    if (clean === '') return true;
    const parts = clean.split('/');
    if (parts[0] === '.git') return false;
    let isDir = relPath.endsWith('/');
    if (!isDir) {
      try {
        isDir = fs.statSync(path.join(rootDir, clean)).isDirectory();
      } catch {
        /* treat as file */
      }
    }
    // Every ancestor directory's rules apply to the path relative to that directory.
    for (let i = 0; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const ig = rulesFor(dir);
      if (!ig) continue;
      const rest = parts.slice(i).join('/');
      if (ig.ignores(isDir ? `${rest}/` : rest)) return false;
      // A parent directory excluded by these rules excludes everything below it.
      for (let j = i + 1; j < parts.length; j++) {
        if (ig.ignores(`${parts.slice(i, j).join('/')}/`)) return false;
      }
    }
    return true;
  };
}

/** Lists the files that would be synced (relative posix paths), for tests and the size warning. */
export function listSyncedFiles(rootDir: string, filter = syncFilter(rootDir)): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(rootDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (filter(`${r}/`)) walk(r);
      } else if (filter(r)) out.push(r);
    }
  };
  walk('');
  return out.sort();
}
