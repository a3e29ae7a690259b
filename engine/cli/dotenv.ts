/**
 * `--env-file`: a dotenv file as python-dotenv reads it (what SkyPilot uses): `KEY=VALUE`
 * lines, optional `export `, `#` comments, single quotes taken literally, double quotes
 * with `\n`-style escapes and continuation over several lines, a bare `KEY` (no `=`) skipped.
 */
import * as fs from 'node:fs';
import { UsageError } from './usageError';

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=\s*([\s\S]*))?$/;

function unescapeDouble(s: string): string {
  return s.replace(/\\([\\'"abfnrtv])/g, (_m, c: string) => ({ a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' })[c] ?? c);
}

export function parseDotenv(text: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*(#.*)?$/.test(line)) continue;
    const m = LINE.exec(line);
    if (!m) throw new UsageError(`Invalid value for '--env-file': ${where} line ${i + 1} is not KEY=VALUE.`);
    const [, key, rest] = m;
    if (rest === undefined) continue;
    let value = rest.trimStart();
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      let body = value.slice(1);
      // A quoted value may span lines until its closing quote.
      const closing = (s: string) => (quote === "'" ? s.indexOf("'") : closingDouble(s));
      let end = closing(body);
      while (end < 0 && i + 1 < lines.length) {
        body += `\n${lines[++i]}`;
        end = closing(body);
      }
      if (end < 0) throw new UsageError(`Invalid value for '--env-file': ${where}: unterminated quote in ${key}.`);
      value = quote === '"' ? unescapeDouble(body.slice(0, end)) : body.slice(0, end);
    } else {
      value = value.replace(/\s+#.*$/, '').trimEnd();
    }
    out[key] = value;
  }
  return out;
}

/** Index of the first double quote not escaped by a backslash. */
function closingDouble(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

export function readDotenvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`Invalid value for '--env-file': cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  return parseDotenv(text, file);
}
