/**
 * Makes `require('vscode')` (what `import * as vscode from 'vscode'` compiles to) resolve to the
 * stand-in in ./stub.ts for the rest of the process. Import this before any extension module.
 */
import Module from 'node:module';
import * as stub from './stub';

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const internal = Module as unknown as { _load: Load };
const original = internal._load;
internal._load = function load(request, parent, isMain) {
  return request === 'vscode' ? stub : original.call(this, request, parent, isMain);
};

export { settingsStore, handlers, resetHandlers } from './stub';
