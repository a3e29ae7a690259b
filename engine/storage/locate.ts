/**
 * `file:line:column` of a task field for launch-time errors, found the way the editor finds it:
 * the task file is parsed again and the field's keys are followed through the written YAML. A
 * key the YAML does not hold as written (an env-substituted destination, a field left out)
 * points at the nearest enclosing key instead; a file that is gone gives no location.
 */
import * as fs from 'node:fs';
import type { Task } from '../task/types';
import { entryOf, parseYamlDocuments, type VNode } from '../task/yamlTree';

export function locateField(origin: NonNullable<Task['origin']>, path: string[]): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(origin.file, 'utf8');
  } catch {
    return undefined;
  }
  const { docs, textMap } = parseYamlDocuments(text);
  let node: VNode | undefined = docs[origin.document]?.root;
  let offset: number | undefined;
  for (const key of path) {
    if (node?.kind !== 'map') break;
    const entry = entryOf(node, key);
    if (!entry) break;
    offset = entry.keyStart;
    node = entry.value;
  }
  if (offset === undefined) return undefined;
  const pos = textMap.positionAt(offset);
  return `${origin.file}:${pos.line + 1}:${pos.character + 1}`;
}
