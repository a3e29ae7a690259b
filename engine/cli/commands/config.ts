/**
 * `skydeck config show`: the configuration a command run here would use (user, project, a
 * task's `config:` and `--config`, merged as SkyPilot does) and where each value came from.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { Document, isMap, isPair, isScalar, isSeq, type Node as YNode } from 'yaml';
import { formatOrigin, keyPath, originOf, resolveConfig, setActiveConfig, shareWithChildren, type Origins, type ResolvedConfig } from '../../config';
import { collect } from '../taskOptions';
import { CONFIG_OPTION } from '../configOption';

type Opts = Record<string, unknown>;

/** Puts `# file:line` after every leaf value of the YAML rendering. */
function annotate(node: YNode | null | undefined, path: string[], origins: Origins): void {
  if (!isMap(node)) return;
  for (const item of node.items) {
    if (!isPair(item) || !isScalar(item.key)) continue;
    const p = [...path, String(item.key.value)];
    const value = item.value as YNode | null;
    if (isMap(value) && value.items.length) {
      annotate(value, p, origins);
      continue;
    }
    const all = origins.get(JSON.stringify(p));
    const text =
      all && all.length > 1
        ? all.map(formatOrigin).join(' + ')
        : (() => {
            const o = originOf(origins, p);
            return o ? formatOrigin(o) : undefined;
          })();
    if (!text) continue;
    if (isSeq(value) && !value.flow) value.flow = true;
    if (value && (isScalar(value) || isSeq(value) || isMap(value))) value.comment = ` ${text}`;
  }
}

function renderConfig(r: ResolvedConfig): string {
  if (!Object.keys(r.config).length) return '';
  const doc = new Document(r.config);
  annotate(doc.contents as YNode, [], r.origins);
  return doc.toString({ lineWidth: 0 });
}

function configJson(r: ResolvedConfig): unknown {
  const sources: Record<string, string[]> = {};
  for (const [k, v] of r.origins) sources[keyPath(k).join('.')] = v.map(formatOrigin);
  return {
    config: r.config,
    sources,
    layers: r.layers.map((l) => ({ kind: l.kind, source: l.source })),
    warnings: r.warnings.map((w) => ({ key: w.key, source: formatOrigin(w.origin), message: w.message })),
  };
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description("SkyPilot's configuration: ~/.sky/config.yaml, .sky.yaml, a task's config: and --config.");
  config
    .command('show')
    .description('Print the merged configuration and, for each value, the file (or flag) it came from.')
    .argument('[task]', 'a task YAML whose config: block to include, as launch would')
    .option(...CONFIG_OPTION, collect)
    .option('--json', 'machine-readable output')
    .action((task: string | undefined, opts: Opts) => {
      const r = resolveConfig({ cli: opts.config as string[] | undefined, taskFile: task });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(configJson(r), null, 2)}\n`);
        return;
      }
      if (!r.layers.length) {
        process.stdout.write('No configuration: none of ~/.sky/config.yaml, SKYDECK_HOME/config.yaml, .sky.yaml was found.\n');
        return;
      }
      process.stdout.write(`# Layers, lowest priority first: ${r.layers.map((l) => `${l.kind} ${l.source}`).join('; ')}\n`);
      process.stdout.write(renderConfig(r));
      for (const w of r.warnings) process.stderr.write(`Warning: ${w.message}\n`);
    });
}

export { CONFIG_OPTION } from '../configOption';

/**
 * What launch, exec, jobs launch and serve up do before anything else: resolve and check every
 * layer (a bad one stops the command here, with file and line), say which keys have no effect,
 * and put the result in force for this process and the controllers it starts.
 */
export function applyCommandConfig(opts: Opts, taskFile?: string): ResolvedConfig {
  // A missing task file is the command's own error to report, after this.
  const r = resolveConfig({ cli: opts.config as string[] | undefined, taskFile: taskFile && fs.existsSync(taskFile) ? taskFile : undefined });
  for (const w of r.warnings) process.stderr.write(`Warning: ${w.message}\n`);
  setActiveConfig(r.config, r.origins);
  if (r.layers.length) shareWithChildren(r.config);
  return r;
}
