import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';

/** `SKYDECK_HOME` (default `~/.skydeck`): state, logs, keys, generated ssh config. */
export function skydeckHome(): string {
  return process.env.SKYDECK_HOME || path.join(os.homedir(), '.skydeck');
}

/** A folder under SKYDECK_HOME, created on first use. */
export function homeSubdir(...parts: string[]): string {
  const dir = path.join(skydeckHome(), ...parts);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The package root (where package.json, schemas/ and catalogs/ live), for source and bundles alike. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'schemas'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`SkyDeck package root not found above ${__dirname}`);
    dir = parent;
  }
}

/**
 * argv that runs the `skydeck` CLI with the same Node that runs us. Used to spawn
 * detached controllers (managed jobs, services) and the on-node agent's helpers.
 * `SKYDECK_CLI` overrides the script (tests, packaged extension).
 */
export function skydeckCliArgv(): string[] {
  const script = process.env.SKYDECK_CLI || path.join(packageRoot(), 'dist', 'cli.js');
  return [process.execPath, script];
}
