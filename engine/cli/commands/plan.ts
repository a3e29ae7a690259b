import type { Command } from 'commander';

/** Registers the `plan` verbs. (Skeleton: filled in by the issue that owns them.) */
export function registerPlan(_program: Command): void {}
