import type { Command } from 'commander';

/** Registers the `catalog` verbs. (Skeleton: filled in by the issue that owns them.) */
export function registerCatalog(_program: Command): void {}
