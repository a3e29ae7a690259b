/**
 * What a test needs from the machine (root, network namespaces, sshd, moto, wabt, a build):
 * CI always has it, so a missing prerequisite fails the run with its name and how to get
 * it. A contributor without root can set SKYDECK_ALLOW_SKIPS=1 to skip the tests that need
 * it instead; nothing else turns a test into a skip.
 */
import * as fs from 'node:fs';
import type { TestContext } from 'node:test';

export const ALLOW_SKIPS = 'SKYDECK_ALLOW_SKIPS';

const SETUP = 'sudo bash scripts/setup-test-deps.sh';

export function skipsAllowed(): boolean {
  return process.env[ALLOW_SKIPS] === '1';
}

function failure(missing: string): Error {
  return new Error(
    `Missing test prerequisite: ${missing}.\nInstall what the tests need with \`${SETUP}\` (and build with \`npm run build\`), or set ${ALLOW_SKIPS}=1 to skip the tests that need it.`,
  );
}

/**
 * For `test(name, { skip: requirePrerequisite(reason) })` at module load: undefined when
 * nothing is missing, the reason when skips are allowed; otherwise the file fails now,
 * naming what is missing.
 */
export function requirePrerequisite(missing: string | undefined | false): string | undefined {
  if (!missing) return undefined;
  if (skipsAllowed()) return missing;
  throw failure(missing);
}

/** Inside a running test: true when it was skipped (allowed), a thrown failure when not. */
export function skipWithoutPrerequisite(t: TestContext, missing: string | undefined | false): boolean {
  if (!missing) return false;
  if (!skipsAllowed()) throw failure(missing);
  t.skip(missing);
  return true;
}

/** Why a build output is unusable here, for requirePrerequisite. */
export function builtFiles(...files: string[]): string | undefined {
  const missing = files.filter((f) => !fs.existsSync(f));
  return missing.length ? `${missing.join(', ')} (run \`npm run build\`)` : undefined;
}
