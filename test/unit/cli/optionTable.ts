/**
 * SkyPilot's option table, written down from `sky/client/cli/flags.py` (TASK_OPTIONS,
 * TASK_OPTIONS_WITH_NAME, EXTRA_RESOURCES_OPTIONS) and `sky/client/cli/command.py` (each
 * verb's own options): `[short, long]` pairs, the short form null when SkyPilot has none.
 *
 * Left out on purpose: `--config` (added by the configuration command), the deprecated hidden
 * `--cloud/--region/--zone`, and options of features SkyDeck does not have: `-u/--all-users`
 * (one user), `--async` on the lifecycle verbs, `--clone-disk-from`, `--fast`,
 * `--job-recovery`, `-p/--pool`, `--num-jobs`, `-w/--worker`, `--replica-id`,
 * `start -r/-f`, `--graceful*`, `jobs queue -v/-u`, `jobs logs -r/-s`, `serve logs -s`.
 */
export type Flag = readonly [short: string | null, long: string];

const TASK_OPTIONS: Flag[] = [
  [null, '--workdir'],
  [null, '--infra'],
  [null, '--num-nodes'],
  [null, '--cpus'],
  [null, '--memory'],
  [null, '--disk-size'],
  [null, '--disk-tier'],
  [null, '--network-tier'],
  [null, '--use-spot'],
  [null, '--no-use-spot'],
  [null, '--image-id'],
  [null, '--env-file'],
  [null, '--env'],
  [null, '--secret'],
];
const NAME: Flag[] = [['-n', '--name']];
const EXTRA_RESOURCES_OPTIONS: Flag[] = [
  [null, '--gpus'],
  ['-t', '--instance-type'],
  [null, '--ports'],
];
const GIT: Flag[] = [
  [null, '--git-url'],
  [null, '--git-ref'],
];

/** The verbs that take a task, and the task option groups each has in SkyPilot. */
export const TASK_VERBS: Record<string, Flag[]> = {
  launch: [...NAME, ...TASK_OPTIONS, ...EXTRA_RESOURCES_OPTIONS, ...GIT],
  exec: [...NAME, ...TASK_OPTIONS, ...EXTRA_RESOURCES_OPTIONS, ...GIT],
  'jobs launch': [...NAME, ...TASK_OPTIONS, ...EXTRA_RESOURCES_OPTIONS, ...GIT],
  'serve up': [...TASK_OPTIONS, ...EXTRA_RESOURCES_OPTIONS, ...GIT],
  'serve update': [...TASK_OPTIONS, ...EXTRA_RESOURCES_OPTIONS],
};

/** Each verb's own options (command.py). */
export const VERB_OPTIONS: Record<string, Flag[]> = {
  launch: [
    ['-c', '--cluster'],
    [null, '--dryrun'],
    ['-d', '--detach-run'],
    ['-i', '--idle-minutes-to-autostop'],
    [null, '--wait-for'],
    [null, '--down'],
    ['-r', '--retry-until-up'],
    ['-y', '--yes'],
    [null, '--no-setup'],
  ],
  exec: [['-d', '--detach-run']],
  status: [
    ['-v', '--verbose'],
    ['-r', '--refresh'],
    [null, '--ip'],
    [null, '--endpoints'],
    [null, '--endpoint'],
    [null, '--show-managed-jobs'],
    [null, '--no-show-managed-jobs'],
    [null, '--show-services'],
    [null, '--no-show-services'],
  ],
  queue: [['-s', '--skip-finished']],
  logs: [
    [null, '--provision'],
    ['-s', '--sync-down'],
    [null, '--status'],
    [null, '--follow'],
    [null, '--no-follow'],
    [null, '--tail'],
  ],
  cancel: [
    ['-a', '--all'],
    ['-y', '--yes'],
    [null, '--async'],
  ],
  stop: [
    ['-a', '--all'],
    ['-y', '--yes'],
  ],
  start: [
    ['-a', '--all'],
    ['-y', '--yes'],
    ['-i', '--idle-minutes-to-autostop'],
    [null, '--down'],
  ],
  down: [
    ['-a', '--all'],
    ['-y', '--yes'],
    ['-p', '--purge'],
  ],
  autostop: [
    ['-a', '--all'],
    ['-y', '--yes'],
    ['-i', '--idle-minutes'],
    [null, '--wait-for'],
    [null, '--cancel'],
    [null, '--down'],
  ],
  'cost-report': [
    ['-a', '--all'],
    [null, '--days'],
  ],
  'jobs launch': [
    ['-d', '--detach-run'],
    ['-y', '--yes'],
  ],
  'jobs queue': [
    ['-l', '--limit'],
    ['-r', '--refresh'],
    ['-s', '--skip-finished'],
    ['-a', '--all'],
  ],
  'jobs cancel': [
    ['-n', '--name'],
    ['-a', '--all'],
    ['-y', '--yes'],
  ],
  'jobs logs': [
    ['-n', '--name'],
    [null, '--follow'],
    [null, '--no-follow'],
    [null, '--controller'],
  ],
  'serve up': [
    ['-n', '--service-name'],
    ['-y', '--yes'],
  ],
  'serve update': [
    [null, '--mode'],
    ['-y', '--yes'],
  ],
  'serve status': [
    ['-v', '--verbose'],
    [null, '--endpoint'],
  ],
  'serve down': [
    ['-a', '--all'],
    ['-p', '--purge'],
    ['-y', '--yes'],
  ],
  'serve logs': [
    [null, '--follow'],
    [null, '--no-follow'],
    [null, '--controller'],
    [null, '--load-balancer'],
    [null, '--tail'],
  ],
};

/** Defaults SkyPilot documents: `[verb, option, default]`, as the option's parsed value. */
export const DEFAULTS: Array<[string, string, unknown]> = [
  ['logs', 'tail', '0'],
  ['cost-report', 'days', '30'],
  ['jobs queue', 'limit', '50'],
  ['serve update', 'mode', 'rolling'],
];
