/**
 * Is this YAML a SkyPilot task? A modeline (`# skydeck: task` / `# skydeck: ignore`) wins,
 * then the `skydeck.taskFiles` globs, then a score over each document's top-level keys.
 * Other well-known YAML kinds (Kubernetes manifests, docker-compose, GitHub Actions, Helm
 * values, training configs, SkyPilot's own config/volume files) are never claimed.
 */
import { closeMatches } from './difflib';
import { headerKeys, taskSchema } from './schema/taskSchema';
import type { VDocument } from './yamlTree';

export interface DetectOptions {
  fileName?: string;
  /** Glob patterns (`skydeck.taskFiles`): matching files are tasks whatever their content. */
  taskFiles?: string[];
}

export type DetectReason = 'modeline' | 'modeline-ignore' | 'glob' | 'content' | 'foreign' | 'no-task-keys';

export interface Detection {
  isTask: boolean;
  reason: DetectReason;
  score: number;
}

const TASK_KEYS = new Set(Object.keys(taskSchema.properties ?? {}));
const HEADER_KEYS: ReadonlySet<string> = new Set(headerKeys);
/** Keys that only a task has (others such as name, config, envs are common words). */
const DISTINCTIVE = new Set(['run', 'setup', 'resources', 'num_nodes', 'file_mounts', 'workdir', 'service', 'secrets', 'pool']);

/** After a `#` that starts a line (past blanks): the rest of `^\s*#\s*skydeck\s*:\s*(task|ignore)\b`, case-insensitive. */
const MODELINE_TAIL = /\s*skydeck\s*:\s*(task|ignore)\b/iy;
/** What JavaScript's `\s` matches besides line terminators (which end a line for `^` too). */
const BLANK = /[\t\v\f \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]/;
const LINE_END = /[\n\r\u2028\u2029]/;
const SPACE = /\s/;

/**
 * Only the leading comment block and the first lines count, like editors' modelines. Jumps
 * from `#` to `#` (the regex with `^` in multiline mode tried every position of the head) and
 * tries the rest of the modeline after each one that starts a line, first match wins.
 */
function modeline(text: string): 'task' | 'ignore' | undefined {
  const head = text.length > 2000 ? text.slice(0, 2000) : text;
  for (let hash = head.indexOf('#'); hash >= 0; hash = head.indexOf('#', hash + 1)) {
    let j = hash - 1;
    while (j >= 0 && BLANK.test(head[j])) j--;
    if (j >= 0 && !LINE_END.test(head[j])) continue;
    // Most comments are prose: the first word after the blanks must start with an 's'.
    let k = hash + 1;
    while (k < head.length && SPACE.test(head[k])) k++;
    if ((head.charCodeAt(k) | 32) !== 115) continue;
    MODELINE_TAIL.lastIndex = hash + 1;
    const m = MODELINE_TAIL.exec(head);
    if (m) return m[1].toLowerCase() as 'task' | 'ignore';
  }
  return undefined;
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const close = glob.indexOf('}', i);
      if (close < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, close)
          .split(',')
          .map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
          .join('|')})`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`(?:^|/)${re}$`);
}

export function matchesTaskGlobs(fileName: string | undefined, globs: string[] | undefined): boolean {
  if (!fileName || !globs?.length) return false;
  const path = fileName.replace(/\\/g, '/').replace(/^file:\/\//, '');
  return globs.some((g) => globToRegExp(g.replace(/\\/g, '/')).test(path));
}

/** Whether a key reads as a typo of a task key, remembered: the same keys come back with every edit. */
const typoCache = new Map<string, boolean>();
/** Unknown keys are the user's words: the remembered answers are dropped past this many. */
const TYPO_CACHE_LIMIT = 512;

function nearTaskKey(key: string): boolean {
  let near = typoCache.get(key);
  if (near === undefined) {
    near = closeMatches(key, TASK_KEYS, 1, 0.75).length > 0;
    if (typoCache.size >= TYPO_CACHE_LIMIT) typoCache.clear();
    typoCache.set(key, near);
  }
  return near;
}

/** Score of one document's top-level keys: > 0 means it reads as a task. */
function scoreKeys(keys: string[]): number {
  const set = new Set(keys);
  // Foreign formats, by their defining keys.
  if (set.has('apiVersion') && set.has('kind')) return -10; // Kubernetes manifest
  if (set.has('services') && !set.has('service')) return -10; // docker-compose
  if (set.has('jobs') && (set.has('on') || set.has('true'))) return -10; // GitHub Actions workflow
  if (set.has('runs') && !set.has('run')) return -10; // GitHub composite action
  if (set.has('admin_policy') || set.has('plugins') || set.has('allowed_clouds')) return -10; // SkyPilot config
  let distinctive = 0;
  let known = 0;
  let typos = 0;
  let unknown = 0;
  for (const k of keys) {
    if (TASK_KEYS.has(k)) {
      known++;
      if (DISTINCTIVE.has(k)) distinctive++;
    } else if (HEADER_KEYS.has(k)) known++;
    else if (nearTaskKey(k)) typos++;
    else unknown++;
  }
  if (distinctive === 0) return 0;
  // A task may have a typo or two; a config file with a `resources:` block has many foreign keys.
  if (unknown > Math.max(1, Math.floor((known + typos) / 2))) return 0;
  return distinctive * 2 + known + typos - unknown * 2;
}

export function detectTask(text: string, docs: VDocument[], options: DetectOptions = {}): Detection {
  const ml = modeline(text);
  if (ml === 'task') return { isTask: true, reason: 'modeline', score: 100 };
  if (ml === 'ignore') return { isTask: false, reason: 'modeline-ignore', score: -100 };
  if (matchesTaskGlobs(options.fileName, options.taskFiles)) return { isTask: true, reason: 'glob', score: 100 };
  let best = 0;
  let foreign = false;
  for (const d of docs) {
    if (!d.root || d.root.kind !== 'map') continue;
    const s = scoreKeys(d.root.entries.map((e) => e.key));
    if (s < 0) foreign = true;
    best = Math.max(best, s);
  }
  if (foreign) return { isTask: false, reason: 'foreign', score: -10 };
  return best > 0 ? { isTask: true, reason: 'content', score: best } : { isTask: false, reason: 'no-task-keys', score: best };
}
