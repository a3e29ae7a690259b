/** The CLI's "Proceed? [Y/n]" question: skipped with --yes, or when stdin is not a terminal (scripts, CI). */
import * as readline from 'node:readline/promises';
import { InputError } from '../errors';

/** True to go on: --yes, no terminal to ask, or an answer of Enter / y / yes. */
export async function confirm(question: string, yes: unknown): Promise<boolean> {
  if (yes || !process.stdin.isTTY) return true;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const a = (await rl.question(`${question} [Y/n] `)).trim().toLowerCase();
    return a === '' || a === 'y' || a === 'yes';
  } finally {
    rl.close();
  }
}

/** As confirm(), but a "no" ends the command with an error (SkyServe's verbs exit non-zero when aborted). */
export async function confirmOrAbort(question: string, yes: unknown): Promise<void> {
  if (!(await confirm(question, yes))) throw new InputError('Aborted.');
}
