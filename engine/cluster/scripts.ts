/**
 * The bash scripts the engine runs on nodes: setup (per node, from the client) and run
 * (per rank, started by the agent on the head). Env values are quoted by the one helper.
 */
import { shellQuote } from '../node/quote';

export function exportLines(envs: Record<string, string>): string {
  return Object.entries(envs)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join('\n');
}

/** Setup: exported envs, then the user's script from ~/sky_workdir (if synced) or ~. */
export function setupScript(envs: Record<string, string>, setup: string): string {
  return ['unset CUDA_VISIBLE_DEVICES', exportLines(envs), 'cd ~/sky_workdir 2>/dev/null || cd ~', setup].join('\n');
}

/**
 * Run: exported envs; the job id comes from the agent ($SKYDECK_JOB_ID) at start, so the
 * task id is completed in the script (sky-<ts>_<cluster>_<job id>).
 */
export function runScript(envs: Record<string, string>, taskIdPrefix: string, run: string, fixedTaskId?: string): string {
  const taskId = fixedTaskId ? shellQuote(fixedTaskId) : `${shellQuote(taskIdPrefix)}"_\${SKYDECK_JOB_ID:-0}"`;
  return [
    exportLines(envs),
    'export SKYPILOT_INTERNAL_JOB_ID="${SKYDECK_JOB_ID:-0}"',
    `export SKYPILOT_TASK_ID=${taskId}`,
    'cd ~/sky_workdir 2>/dev/null || cd ~',
    run,
  ].join('\n');
}
