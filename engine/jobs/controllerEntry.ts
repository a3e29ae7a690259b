/**
 * dist/jobs-controller.js: a controller process without the rest of the CLI (commander,
 * the language tools), so each controller stays small. Argv: the job ids it starts for.
 */
import { runControllerProcess } from './controllerMain';

runControllerProcess(process.argv.slice(2).map(Number)).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`controller failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
