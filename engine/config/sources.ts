/**
 * Where the config files are (SkyPilot's sky/skypilot_config.py lookup, plus SkyDeck's own):
 * - user: `SKYPILOT_GLOBAL_CONFIG` when set (it must exist, as in SkyPilot); otherwise
 *   `SKYDECK_HOME/config.yaml` when it exists; otherwise `~/.sky/config.yaml`. SkyDeck's own
 *   file is its user config: SkyPilot's is read only when SkyDeck's is absent.
 * - project: `SKYPILOT_PROJECT_CONFIG` when set (it must exist); otherwise `.sky.yaml` in the
 *   current directory (SkyPilot looks nowhere else: not in parents, not beside the task).
 * - ssh node pools: `SKYDECK_HOME/ssh_node_pools.yaml`, else `~/.sky/ssh_node_pools.yaml`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../errors';
import { skydeckHome } from '../util/paths';

type Env = NodeJS.ProcessEnv;

const USER_CONFIG_ENV = 'SKYPILOT_GLOBAL_CONFIG';
const PROJECT_CONFIG_ENV = 'SKYPILOT_PROJECT_CONFIG';
const PROJECT_CONFIG_FILE = '.sky.yaml';
/** A resolved configuration handed to child processes (active.ts); when set, no file is layered under it. */
export const SNAPSHOT_ENV = 'SKYDECK_CONFIG';

function home(env: Env): string {
  return env.HOME || os.homedir();
}

export function expandHome(p: string, env: Env = process.env): string {
  return p === '~' ? home(env) : p.startsWith('~/') ? path.join(home(env), p.slice(2)) : p;
}

/** `~/.sky` (SkyPilot's own state folder). */
function skypilotDir(env: Env = process.env): string {
  return path.join(home(env), '.sky');
}

function fromEnv(name: string, env: Env): string | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const p = path.resolve(expandHome(v, env));
  if (!fs.existsSync(p)) throw new InputError(`Config file named by ${name} (${p}) does not exist.`, { hint: `Fix the path, or unset it: unset ${name}` });
  return p;
}

/** The user config file, or undefined when there is none. */
export function userConfigPath(env: Env = process.env): string | undefined {
  const named = fromEnv(USER_CONFIG_ENV, env);
  if (named) return named;
  for (const p of [path.join(skydeckHome(), 'config.yaml'), path.join(skypilotDir(env), 'config.yaml')]) if (fs.existsSync(p)) return p;
  return undefined;
}

/** The project config file (`.sky.yaml` in `cwd`), or undefined. */
export function projectConfigPath(cwd: string = process.cwd(), env: Env = process.env): string | undefined {
  const named = fromEnv(PROJECT_CONFIG_ENV, env);
  if (named) return named;
  const p = path.join(cwd, PROJECT_CONFIG_FILE);
  return fs.existsSync(p) ? p : undefined;
}

/** SSH node pools: SkyDeck's file, else SkyPilot's `~/.sky/ssh_node_pools.yaml`. */
export function sshNodePoolsPath(env: Env = process.env): string {
  const own = path.join(skydeckHome(), 'ssh_node_pools.yaml');
  const skypilot = path.join(skypilotDir(env), 'ssh_node_pools.yaml');
  return !fs.existsSync(own) && fs.existsSync(skypilot) ? skypilot : own;
}

/** Which file kind a path is, for the editor: config files are not task files. */
export function isConfigFilePath(file: string, env: Env = process.env): boolean {
  const abs = path.resolve(file);
  if (path.basename(abs) === PROJECT_CONFIG_FILE) return true;
  const candidates = [path.join(skydeckHome(), 'config.yaml'), path.join(skypilotDir(env), 'config.yaml')];
  for (const name of [USER_CONFIG_ENV, PROJECT_CONFIG_ENV]) if (env[name]) candidates.push(path.resolve(expandHome(env[name]!, env)));
  return candidates.includes(abs);
}
