import type { Command } from 'commander';

/** Registers the `debug` verbs. (Skeleton: filled in by the issue that owns them.) */
export function registerDebug(_program: Command): void {}
