/** The `--config` option of launch, exec, jobs launch and serve up (SkyPilot's, repeatable). */
export const CONFIG_OPTION = ['--config <FILE|key=value>', 'SkyPilot config override: a config file, or key.path=value (repeatable)'] as const;
