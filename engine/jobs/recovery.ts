/**
 * Recovery strategies (SkyPilot's sky/jobs/recovery_strategy.py) and the restart policy
 * for user failures (`max_restarts_on_errors`, `recover_on_exit_codes`).
 */
import type { InfraSpec, JobRecovery, JobRecoveryStrategy, Task } from '../task/types';

/** One launch attempt of a recovery round. */
export interface LaunchAttempt {
  /** Tear the task's cluster down before launching (a fresh cluster). */
  downFirst: boolean;
  /** Infra the optimizer must avoid ('cloud/region'). */
  blocked?: string[];
  /** Pin the launch to this cloud and region (FAILOVER's first try). */
  constrain?: { cloud: string; region: string };
  /** What the controller log says about it. */
  label: string;
}

export interface LastPlacement {
  cloud: string;
  region: string;
}

/** The task's `job_recovery`, from the shared resources or the first alternative that sets it. */
export function jobRecoveryOf(task: Task): JobRecovery {
  return task.resources.base.jobRecovery ?? task.resources.candidates.find((c) => c.jobRecovery)?.jobRecovery ?? {};
}

export function strategyOf(task: Task): JobRecoveryStrategy {
  return jobRecoveryOf(task).strategy ?? 'EAGER_NEXT_REGION';
}

/** True when the user pinned a region or zone: EAGER_NEXT_REGION then does not block it. */
export function regionPinned(task: Task): boolean {
  const pinned = (i: InfraSpec | undefined) => !!i && (!!i.region || !!i.zone);
  return pinned(task.resources.base.infra) || task.resources.candidates.some((c) => pinned(c.infra));
}

/** The attempts of one recovery round after a preemption or a lost cluster. */
export function recoveryAttempts(strategy: JobRecoveryStrategy, last: LastPlacement | undefined, pinned: boolean): LaunchAttempt[] {
  if (!last) return [{ downFirst: true, label: 'relaunch anywhere' }];
  const where = `${last.cloud}/${last.region}`;
  if (strategy === 'FAILOVER') {
    return [
      { downFirst: true, constrain: last, label: `FAILOVER: relaunch in the same region ${where}` },
      { downFirst: true, label: 'FAILOVER: relaunch anywhere' },
    ];
  }
  if (pinned) return [{ downFirst: true, label: `EAGER_NEXT_REGION: region pinned by the task, relaunch in ${where}` }];
  return [
    { downFirst: true, blocked: [where], label: `EAGER_NEXT_REGION: relaunch outside ${where}` },
    { downFirst: true, label: 'EAGER_NEXT_REGION: relaunch anywhere (fallback)' },
  ];
}

/**
 * The attempts of one round after the user's program failed and will be restarted. SkyPilot
 * restarts through the strategy's recover(): EAGER_NEXT_REGION tears the cluster down and
 * relaunches like after a preemption; FAILOVER first relaunches on the same cluster (kept
 * if it is still UP), then as after a preemption.
 */
export function restartAttempts(strategy: JobRecoveryStrategy, last: LastPlacement | undefined, pinned: boolean): LaunchAttempt[] {
  const recover = recoveryAttempts(strategy, last, pinned);
  return strategy === 'FAILOVER' ? [{ downFirst: false, label: 'FAILOVER: restart on the same cluster' }, ...recover] : recover;
}

/** A copy of `task` whose resources may only land in `cloud/region`. */
export function constrainTask(task: Task, where: { cloud: string; region: string }): Task {
  const infra: InfraSpec = { cloud: where.cloud, region: where.region };
  return {
    ...task,
    resources: {
      ...task.resources,
      base: { ...task.resources.base, infra },
      candidates: task.resources.candidates.map((c) => ({ ...c, infra })),
    },
  };
}

export type RestartDecision = { restart: true; counted: boolean } | { restart: false };

/**
 * SkyPilot's should_restart_on_failure: an exit code in `recover_on_exit_codes` always
 * restarts without counting; otherwise restart while fewer than `max_restarts_on_errors`.
 */
export function restartDecision(policy: JobRecovery, exitCode: number | undefined, restartsSoFar: number): RestartDecision {
  if (exitCode !== undefined && policy.recoverOnExitCodes?.includes(exitCode)) return { restart: true, counted: false };
  if (restartsSoFar < (policy.maxRestartsOnErrors ?? 0)) return { restart: true, counted: true };
  return { restart: false };
}
