/**
 * The supervisor of a service's controller: a small /bin/sh loop, started detached by
 * `serve up` (or by a serve verb that finds neither running), that runs
 * `skydeck serve controller NAME` and starts it again when it dies, with a backoff
 * (1 s doubling to 30 s, back to 1 s after a minute of uptime). It stops when the
 * controller ends normally (exit 0): the service was taken down, is gone, or another
 * controller runs it.
 *
 * Why a shell loop and not a Node process: it has nothing to do but wait, so it should
 * cost nothing (a sh process is ~1 MB, a Node one ~40 MB), and it cannot be brought down
 * by anything the controller does. SIGUSR1 cuts its backoff short (a serve verb that needs
 * the controller now, e.g. `serve down`).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { identify, isAlive, type ProcessIdentity } from '../util/detached';
import { skydeckCliArgv } from '../util/paths';
import { controllerLogPath } from './state';

/** $1 node, $2 the CLI script, $3 the service name. */
const SUPERVISOR_SH = `
trap ':' USR1
delay=1
while :; do
  started=$(date +%s)
  "$1" "$2" serve controller "$3"
  code=$?
  [ "$code" -eq 0 ] && exit 0
  [ $(( $(date +%s) - started )) -ge 60 ] && delay=1
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) supervisor: the controller exited (status $code); starting it again in \${delay}s"
  sleep "$delay" & wait $!
  kill $! 2>/dev/null
  delay=$(( delay * 2 )); [ "$delay" -gt 30 ] && delay=30
done
`;

/** Starts the supervisor (and through it the controller) of service `name`; output goes to the controller log. */
export function spawnSupervisor(name: string, env: NodeJS.ProcessEnv = process.env): ProcessIdentity {
  const logFile = controllerLogPath(name);
  const out = fs.openSync(logFile, 'a');
  const [node, script] = skydeckCliArgv();
  const child = spawn('/bin/sh', ['-c', SUPERVISOR_SH, 'skydeck-serve-supervisor', node, script, name], { detached: true, stdio: ['ignore', out, out], env });
  fs.closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`Could not start the supervisor of service '${name}' (/bin/sh)`);
  return identify(child.pid);
}

/** Asks a supervisor waiting out its backoff to start the controller now. */
export function wakeSupervisor(id: ProcessIdentity): void {
  if (isAlive(id)) process.kill(id.pid, 'SIGUSR1');
}

/** Stops a supervisor (its controller, if any, keeps running until it ends by itself). */
export function stopSupervisor(id: ProcessIdentity | undefined): void {
  if (id && isAlive(id)) process.kill(id.pid, 'SIGTERM');
}
