/** SkyPilot's configuration layers for SkyDeck: see README.md beside this file. */
export { activeConfig, activeOrigins, setActiveConfig, shareWithChildren } from './active';
export { checkConfigNode, checkConfigText, formatProblems, TASK_OVERRIDABLE_KEYS } from './check';
export { CLI_SOURCE, parseCliConfig } from './cliOverride';
export { HONOURED_KEYS, originOf, unhonouredWarnings } from './honoured';
export { getPath, mergeK8s, overlay } from './merge';
export { ConfigError, mergeLayers, resolveConfig, taskConfigLayers, type ResolveOptions } from './resolve';
export { isConfigFilePath, projectConfigPath, sshNodePoolsPath, userConfigPath, SNAPSHOT_ENV } from './sources';
export * from './types';
