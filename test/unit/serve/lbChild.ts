/**
 * A load balancer alone in its own process, so that a crash shows as an exit instead of
 * taking the test runner down. argv: replica URLs (comma separated). Prints `port N` once
 * listening. Each stdin line `read` is answered `read ok` or `read <error code>`: the
 * process opening a file, as the controller reads its state, while the tests flood it.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { LoadBalancer } from '../../../engine/serve/lb/loadBalancer';

const urls = (process.argv[2] ?? '').split(',').filter(Boolean);
const lb = new LoadBalancer({ serviceName: 'child', policy: 'round_robin', host: '127.0.0.1', port: 0, log: (l) => process.stderr.write(`${l}\n`) });
lb.setReplicas(urls.map((url, i) => ({ id: i + 1, url })));
void lb.listen().then((port) => process.stdout.write(`port ${port}\n`));
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'read') return;
  try {
    fs.readFileSync(__filename);
    process.stdout.write('read ok\n');
  } catch (e) {
    process.stdout.write(`read ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
  }
});
// The parent going away (stdin closed) ends the child too.
process.stdin.on('end', () => process.exit(0));
