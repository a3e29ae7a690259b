import type { Command } from 'commander';

/** Registers the `cluster` verbs. (Skeleton: filled in by the issue that owns them.) */
export function registerCluster(_program: Command): void {}
