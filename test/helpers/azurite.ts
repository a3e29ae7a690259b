/**
 * azurite, Microsoft's Azure Storage emulator (npm devDependency), Blob service only, for the
 * Azure store's tests: on 127.0.0.1 with a port the OS picks, quiet, without telemetry, its data
 * in a temporary directory removed on stop. Ready once it prints where it listens (the port is
 * read from that line, so nothing is guessed and nothing waits on a timer).
 *
 * Clients reach it through AZURE_STORAGE_CONNECTION_STRING (the Azure SDKs' and azure-cli's
 * variable) with azurite's documented development account, devstoreaccount1, and its
 * well-known public key.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
export const AZURITE_BIN = path.join(ROOT, 'node_modules', '.bin', 'azurite-blob');
export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** azurite's published development key (https://learn.microsoft.com/azure/storage/common/storage-use-azurite). */
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteInstalled(): boolean {
  return fs.existsSync(AZURITE_BIN);
}

export interface Azurite {
  /** http://127.0.0.1:PORT/devstoreaccount1 */
  blobEndpoint: string;
  /** The value for AZURE_STORAGE_CONNECTION_STRING. */
  connectionString: string;
  stop(): Promise<void>;
}

export async function startAzurite(timeoutMs = 60_000): Promise<Azurite> {
  if (!azuriteInstalled()) throw new Error(`azurite is not installed (${AZURITE_BIN}): run \`npm ci\`.`);
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-azurite-'));
  const child = spawn(
    process.execPath,
    [AZURITE_BIN, '--blobHost', '127.0.0.1', '--blobPort', '0', '--silent', '--disableTelemetry', '--skipApiVersionCheck', '--location', location],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const origin = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => done(new Error(`azurite did not listen within ${timeoutMs} ms:\n${buf}`)), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(buf);
      if (m) done(undefined, m[1]);
    };
    const onExit = (code: number | null) => done(new Error(`azurite exited (${code}) before listening:\n${buf}`));
    function done(err?: Error, url?: string) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(url as string);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    fs.rmSync(location, { recursive: true, force: true });
    throw err;
  });
  child.stdout?.resume();
  child.stderr?.resume();
  // A test process that dies without calling stop() must not leave the emulator behind.
  const orphaned = () => {
    child.kill('SIGKILL');
    fs.rmSync(location, { recursive: true, force: true });
  };
  process.once('exit', orphaned);
  const blobEndpoint = `${origin}/${AZURITE_ACCOUNT}`;
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`,
    async stop() {
      process.off('exit', orphaned);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(location, { recursive: true, force: true });
    },
  };
}
