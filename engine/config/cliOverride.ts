/**
 * `--config` as SkyPilot takes it (sky/client/cli/flags.py config_option, skypilot_config
 * _compose_cli_config): repeatable; either one path to a config file (a file with more flags is
 * an error), or `key.path=value` pairs, each value read as YAML (`600` is a number, `[a, b]` a
 * list). SkyPilot's help and docs also show `a=1,b=2` in one flag: a comma followed by another
 * `key.path=` starts a new pair, so values may still contain commas (`[a, b]`, `x,y`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { InputError } from '../errors';
import { checkConfigText, formatProblems, type CheckedSource } from './check';
import { expandHome } from './sources';
import { isConfigMap, pathKey, type ConfigMap, type ConfigValue, type Origins } from './types';

export const CLI_SOURCE = '--config';

const PAIR_START = /,(?=\s*[A-Za-z_][\w-]*(?:\.[\w\-/]+)*=)/;

function splitPairs(arg: string): string[] {
  return arg.split(PAIR_START).map((s) => s.trim());
}

function setPath(config: ConfigMap, keys: string[], value: ConfigValue): void {
  let cur = config;
  for (const k of keys.slice(0, -1)) {
    if (!isConfigMap(cur[k])) cur[k] = {};
    cur = cur[k] as ConfigMap;
  }
  cur[keys[keys.length - 1]] = value;
}

/** The `--config` values of one command as a config layer; throws InputError naming the bad flag. */
export function parseCliConfig(values: readonly string[], cwd: string = process.cwd()): CheckedSource & { source: string } {
  const first = path.resolve(cwd, expandHome(values[0]));
  if (fs.existsSync(first) && fs.statSync(first).isFile()) {
    if (values.length !== 1)
      throw new InputError('Cannot use several --config flags with a config file.', { hint: 'Give one --config FILE, or only key=value pairs.' });
    const checked = checkConfigText(fs.readFileSync(first, 'utf8'), first);
    const errors = checked.problems.filter((p) => p.severity === 'error');
    if (errors.length) throw new InputError(`Invalid config file given with --config:\n${formatProblems(errors)}`);
    return { ...checked, source: first };
  }
  const config: ConfigMap = {};
  const origins: Origins = new Map();
  for (const arg of values) {
    for (const pair of splitPairs(arg)) {
      const eq = pair.indexOf('=');
      const key = eq > 0 ? pair.slice(0, eq).trim() : '';
      const raw = eq > 0 ? pair.slice(eq + 1) : '';
      if (!key || !raw.trim()) {
        throw new InputError(`Invalid --config '${arg}': no such file, and not key=value.`, {
          hint: 'Pass a config file path, or key.path=value (e.g. --config kubernetes.provision_timeout=600).',
        });
      }
      const keys = key.split('.');
      if (keys.some((k) => !k))
        throw new InputError(`Invalid --config key '${key}'.`, { hint: 'Keys are dotted paths, e.g. kubernetes.pod_config.spec.priorityClassName.' });
      setPath(config, keys, (parseYaml(raw, { version: '1.1' }) ?? null) as ConfigValue);
      origins.set(pathKey(keys), [{ source: `${CLI_SOURCE} ${key}=${raw}` }]);
    }
  }
  // Checked as the YAML it stands for; problems then name the flag, not a line of a file.
  const checked = checkConfigText(stringify(config), CLI_SOURCE);
  const errors = checked.problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new InputError(`Invalid --config override:\n${errors.map((p) => `${CLI_SOURCE}: ${p.message}`).join('\n')}`);
  return { value: config, origins, problems: [], source: CLI_SOURCE };
}
