import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { CONTROLLER_OPTION, forwardedArgv } from '../../../engine/controllers/route';

function capture(argv: string[]): string[] {
  let seen: string[] = [];
  const program = new Command().exitOverride();
  const jobs = program.command('jobs');
  jobs
    .command('queue')
    .option('--json')
    .option(...CONTROLLER_OPTION)
    .action((_o, cmd: Command) => void (seen = forwardedArgv(cmd)));
  jobs
    .command('logs')
    .argument('[id]')
    .option('--controller')
    .action((_id, _o, cmd: Command) => void (seen = forwardedArgv(cmd)));
  program.parse(argv, { from: 'user' });
  return seen;
}

test('the verb is forwarded as typed, without the placement option', () => {
  assert.deepEqual(capture(['jobs', 'queue', '--json', '--controller', 'cluster']), ['jobs', 'queue', '--json']);
  assert.deepEqual(capture(['jobs', 'queue', '--controller=cluster', '--json']), ['jobs', 'queue', '--json']);
});

test("`jobs logs --controller` (SkyPilot's flag for the controller's log) is kept", () => {
  assert.deepEqual(capture(['jobs', 'logs', '3', '--controller']), ['jobs', 'logs', '3', '--controller']);
});
