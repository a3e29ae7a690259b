import type { Command } from 'commander';

/** Registers the `validate` verbs. (Skeleton: filled in by the issue that owns them.) */
export function registerValidate(_program: Command): void {}
