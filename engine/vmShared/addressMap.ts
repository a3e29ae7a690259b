/**
 * The test mapping from instance addresses to reachable SSH endpoints. Emulated clouds
 * (moto, the fake GCP/Azure servers) hand out addresses that lead nowhere; tests point
 * them at loopback or network-namespace sshd hosts instead, so provisioning and running
 * are exercised together without any network beyond loopback.
 *
 * SKYDECK_TEST_ADDRESS_MAP holds JSON (or `@/path/to/file.json`):
 *   {"54.1.2.3": "root@127.0.0.1:2222", "*": ["root@10.99.1.2:22", "root@10.99.2.2:22"]}
 * Exact keys match any of a node's addresses (public or private) or its instance id; the
 * "*" list is handed out by node rank (rank 0 gets the first entry). When a mapping is
 * set, an unmapped node is an error rather than a connection to an emulated address.
 */
import * as fs from 'node:fs';
import { InputError } from '../errors';

export interface MappedEndpoint {
  host: string;
  port: number;
  user?: string;
}

type RawMap = Record<string, string | string[]>;

function loadMap(): RawMap | undefined {
  const raw = process.env.SKYDECK_TEST_ADDRESS_MAP;
  if (!raw) return undefined;
  const text = raw.startsWith('@') ? fs.readFileSync(raw.slice(1), 'utf8') : raw;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as RawMap;
  } catch (_) {
    // fall through to the error below
  }
  throw new InputError('SKYDECK_TEST_ADDRESS_MAP is not a JSON object.', { hint: 'Example: {"54.1.2.3": "root@127.0.0.1:2222"}' });
}

export function parseEndpoint(text: string, defaultPort = 22): MappedEndpoint {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new InputError(`Invalid SSH endpoint '${text}' in SKYDECK_TEST_ADDRESS_MAP.`, { hint: 'Use [user@]host[:port].' });
  return { user: m[1], host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : defaultPort };
}

/** Whether a test mapping is active. */
export function hasAddressMap(): boolean {
  return Boolean(process.env.SKYDECK_TEST_ADDRESS_MAP);
}

/**
 * Where to reach a node over SSH: the mapped endpoint when a test mapping is active, the
 * first address otherwise.
 */
export function resolveSshEndpoint(keys: readonly (string | undefined)[], rank: number, defaultPort = 22): MappedEndpoint {
  const map = loadMap();
  const present = keys.filter((k): k is string => Boolean(k));
  if (!map) {
    if (present.length === 0) throw new InputError('The node has no address yet.');
    return { host: present[0], port: defaultPort };
  }
  for (const k of present) {
    const v = map[k];
    if (typeof v === 'string') return parseEndpoint(v, defaultPort);
  }
  const pool = map['*'];
  if (Array.isArray(pool) && rank < pool.length) return parseEndpoint(pool[rank], defaultPort);
  throw new InputError(`SKYDECK_TEST_ADDRESS_MAP has no entry for node ${present.join(' / ')} (rank ${rank}).`);
}
