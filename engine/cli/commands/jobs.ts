import type { Command } from 'commander';

/** Registers the `jobs` verbs. (Skeleton: filled in by the issue that owns them.) */
export function registerJobs(_program: Command): void {}
