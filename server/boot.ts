/**
 * `node dist/server.js`: starts the language server bundle (dist/server-main.js, built from
 * ./main.ts) through V8's code cache, so every start after the first skips parsing and
 * compiling the functions the first diagnostics need (bench/validate measures both starts).
 *
 * The cache lives in SKYDECK_HOME/cache, named by the bundle's size, modification time and
 * inode: V8 itself only checks a cached file against the source's length, so a cache is never
 * offered to another build (hashing the bundle's content instead cost more than a tenth of
 * what the cache saves). It is written a few seconds after start (the functions compiled for the first
 * diagnostics are then in it), replaces older ones, and any failure to read or write it only
 * means a start without it.
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** Long enough for the first diagnostics, short enough to be written in most sessions. */
const WRITE_AFTER_MS = 3000;

const bundle = path.join(__dirname, 'server-main.js');
const source = fs.readFileSync(bundle, 'utf8');
const stat = fs.statSync(bundle, { bigint: true });
const cacheDir = path.join(process.env.SKYDECK_HOME || path.join(os.homedir(), '.skydeck'), 'cache');
const cacheFile = path.join(cacheDir, `server-${stat.size.toString(36)}-${stat.mtimeNs.toString(36)}-${stat.ino.toString(36)}.v8cache`);

let cachedData: Buffer | undefined;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}

// The CommonJS wrapper on a line of its own, the bundle from line 1 on: stack traces and source
// maps keep their lines and columns.
const wrapped = `(function (exports, require, module, __filename, __dirname) {\n${source}\n})`;
const script = new vm.Script(wrapped, { filename: bundle, lineOffset: -1, cachedData });
const mod = new Module(bundle, module);
mod.filename = bundle;
mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
const run = script.runInThisContext() as (exports: unknown, req: NodeJS.Require, m: Module, file: string, dir: string) => void;
const req = Module.createRequire(bundle);
run.call(mod.exports, mod.exports, req, mod, bundle, __dirname);

if (!cachedData || script.cachedDataRejected) {
  setTimeout(() => {
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      for (const f of fs.readdirSync(cacheDir)) if (/^server-[0-9a-z-]+\.v8cache(\.\d+\.tmp)?$/.test(f)) fs.rmSync(path.join(cacheDir, f), { force: true });
      // Written whole under another name, then renamed: a server starting meanwhile never reads half a file.
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // A read-only home: every start compiles the bundle, as without a cache.
    }
  }, WRITE_AFTER_MS).unref();
}
