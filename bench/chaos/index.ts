/**
 * `npm run bench -- chaos`: the hardening numbers, each part in its own process so a crash in
 * one cannot hide the other's counts.
 * - launch.ts: launches and downs killed at seeded random points, then `status -r` + `down`;
 *   resources leaked must be 0.
 * - lb.ts: malformed upstream replies through a real load balancer (controller exits must be
 *   0), and a 1,000-connection flood from one client (other clients' failed requests must be 0).
 * Options after the bench name go to both parts (e.g. `--seed 7`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const parts = ['launch.ts', 'lb.ts'].map((f) => path.join(__dirname, f));
let failed = 0;
for (const part of parts) {
  if (!fs.existsSync(part)) continue;
  console.log(`\n--- bench/chaos/${path.basename(part)} ---`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', part, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
