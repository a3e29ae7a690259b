/**
 * What a verb that submits tasks for later (`jobs launch`, `serve up`) checks at once, so a
 * bad git URL or ref, or a missing or misplaced volume, is reported to the user before
 * anything is submitted, not later in a controller's log. `launch` and `exec` run the same
 * checks themselves (engine.ts).
 */
import type { Task } from '../task/types';
import { prepareVolumes } from '../volumes/launch';
import { checkedGitWorkdir } from './gitWorkdir';

export async function checkBeforeSubmit(tasks: Task[]): Promise<void> {
  for (const task of tasks) {
    await checkedGitWorkdir(task);
    await prepareVolumes(task);
  }
}
