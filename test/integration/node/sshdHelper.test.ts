/** The SSH test-host helper cleans up what a crashed run left: processes, netns, links, dirs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanupStale, netnsSkipReason } from '../../helpers/sshd';
import { processAlive } from '../../helpers/localNodes';
import { requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(netnsSkipReason());

function processesMentioning(s: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(s) && processAlive(Number(e));
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('leftovers of a SIGKILLed run are removed by the next run', { skip }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../helpers/sshdCrashChild.ts')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const dir = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before its hosts were ready`)));
  });
  const prefix = `skdt${child.pid}`;
  const netns = (): string[] =>
    spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.startsWith(`${prefix}-`));
  const links = (): string[] =>
    spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.includes(prefix));
  // What the run holds is checked while it lives: once it is killed, any other test file
  // starting SSH hosts at the same time may already be removing it (cleanupStale runs there
  // too). SIGKILL leaves no handler a chance, so whatever is gone afterwards was cleaned up.
  assert.equal(netns().length, 1, 'the run has its netns');
  assert.ok(links().length >= 1, 'and its bridge/veth');
  assert.ok(processesMentioning(dir).length >= 2, 'and its host processes');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  cleanupStale();
  assert.deepEqual(netns(), []);
  assert.deepEqual(links(), []);
  assert.deepEqual(processesMentioning(dir), []);
  assert.equal(fs.existsSync(dir), false);
});
