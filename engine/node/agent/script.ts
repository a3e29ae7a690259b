/**
 * The agent's bash source and its version (a content hash, so any change re-installs it).
 * The script ships as engine/node/agent/agent.sh next to this file in sources, and under
 * the package root for the bundles (dist/*.js); `SKYDECK_AGENT_SCRIPT` overrides both.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkyDeckError } from '../../errors';
import { packageRoot } from '../../util/paths';

let cached: { source: string; version: string } | undefined;

function candidates(): string[] {
  const list: string[] = [];
  if (process.env.SKYDECK_AGENT_SCRIPT) list.push(process.env.SKYDECK_AGENT_SCRIPT);
  list.push(path.join(__dirname, 'agent.sh'));
  try {
    const root = packageRoot();
    list.push(path.join(root, 'engine', 'node', 'agent', 'agent.sh'), path.join(root, 'dist', 'agent.sh'));
  } catch {
    /* not inside the package */
  }
  return list;
}

export function agentScript(): { source: string; version: string } {
  if (cached) return cached;
  for (const file of candidates()) {
    let source: string;
    try {
      source = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    cached = { source, version: crypto.createHash('sha256').update(source).digest('hex').slice(0, 12) };
    return cached;
  }
  throw new SkyDeckError('AGENT_SCRIPT_MISSING', `The on-node agent script (agent.sh) was not found (looked in ${candidates().join(', ')}).`, {
    hint: 'Reinstall SkyDeck, or set SKYDECK_AGENT_SCRIPT to engine/node/agent/agent.sh.',
  });
}
