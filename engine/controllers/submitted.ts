/** The task JSON a client sends to the controller node's `jobs submit` (a TaskFile, as saved for controllers). */
import { InputError } from '../errors';
import type { TaskFile } from '../task/types';

export function readTaskFileJson(text: string): TaskFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new InputError(`The submitted task is not JSON: ${(e as Error).message}.`);
  }
  const file = parsed as TaskFile;
  if (!file || typeof file !== 'object' || !Array.isArray(file.tasks) || file.tasks.length === 0)
    throw new InputError('The submitted task JSON has no tasks (expected {"tasks": [...]}).');
  for (const [i, t] of file.tasks.entries()) {
    if (!t || typeof t !== 'object' || typeof t.numNodes !== 'number' || !t.resources)
      throw new InputError(`The submitted task ${i} is not a SkyDeck task (numNodes and resources are required).`);
  }
  return file;
}
