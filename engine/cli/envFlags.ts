/** `--env KEY=VAL` (repeatable) as SkyPilot takes it: `KEY` alone reads the value from our environment. */
import { InputError } from '../errors';

/** commander accumulator for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseEnvFlags(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      const fromProcess = process.env[item];
      if (fromProcess === undefined) throw new InputError(`--env ${item}: write NAME=VALUE (or NAME to take it from the environment).`);
      out[item] = fromProcess;
    } else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}
