/**
 * The configuration in force in this process, for the code that acts on it (providers, the
 * optimizer's enabled infra). The command sets it once, after resolveConfig() checked every
 * layer; providers are separate bundles, so it lives on globalThis, not in a module variable.
 *
 * Child processes (managed-job and serve controllers) get it through `SKYDECK_CONFIG`, a
 * resolved snapshot written under SKYDECK_HOME (SkyPilot's internal SKYPILOT_CONFIG does the
 * same for its controllers): when set, it is the whole configuration, no file is layered on it.
 *
 * With neither (the editor's insights, `check`, `status`), the user and project files are read
 * as they are; an invalid file counts as no configuration there (the editor shows its errors,
 * and any launch refuses it).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { homeSubdir } from '../util/paths';
import { resolveConfig } from './resolve';
import { SNAPSHOT_ENV } from './sources';
import type { ConfigMap, Origins } from './types';

const SLOT = Symbol.for('skydeck.config.active');
const ORIGINS = Symbol.for('skydeck.config.activeOrigins');
type Slot = { [SLOT]?: ConfigMap; [ORIGINS]?: Origins };

/**
 * Makes `config` the configuration of this process (after it was resolved and checked);
 * `origins` (where each value came from) let errors about a value name its file and line.
 */
export function setActiveConfig(config: ConfigMap | undefined, origins?: Origins): void {
  (globalThis as Slot)[SLOT] = config;
  (globalThis as Slot)[ORIGINS] = config ? origins : undefined;
}

/** Where the values of the configuration in force came from (empty when not known). */
export function activeOrigins(env: NodeJS.ProcessEnv = process.env): Origins {
  const slot = globalThis as Slot;
  if (slot[SLOT]) return slot[ORIGINS] ?? new Map();
  try {
    return resolveConfig({ env }).origins;
  } catch {
    return new Map();
  }
}

/** The configuration in force (see the file comment for where it comes from). */
export function activeConfig(env: NodeJS.ProcessEnv = process.env): ConfigMap {
  const set = (globalThis as Slot)[SLOT];
  if (set) return set;
  try {
    return resolveConfig({ env }).config;
  } catch {
    return {};
  }
}

/** Writes `config` where child processes find it (SKYDECK_CONFIG) and points this process's env at it. */
export function shareWithChildren(config: ConfigMap): string {
  const text = stringify(config);
  const file = path.join(homeSubdir('config'), `resolved-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.yaml`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, text, { mode: 0o600 });
  process.env[SNAPSHOT_ENV] = file;
  return file;
}
