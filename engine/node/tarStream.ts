/**
 * Directory copies through a remote shell (SSH, Kubernetes exec): one tar stream of the
 * local tree, unpacked by the node's own `tar`, instead of a round trip per file.
 */
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { shellQuote, shellQuoteRemotePath } from './quote';

/** A portable tar of `localDir`'s contents; `filter` sees paths relative to it (no leading `./`). */
export function packDir(localDir: string, filter?: (relPath: string) => boolean): Readable {
  const archive = tar.c(
    {
      cwd: localDir,
      portable: true,
      filter: (p: string) => {
        const rel = p.replace(/^\.\/?/, '');
        return rel === '' || !filter || filter(rel);
      },
    },
    ['.'],
  );
  return Readable.from(archive as AsyncIterable<Buffer>);
}

/** Exit code of `unpackCommand` when the node has no `tar`. */
export const NO_TAR_EXIT = 127;

/** argv that unpacks `packDir`'s stream (on stdin) into `remoteDir`; exits NO_TAR_EXIT, saying `noTarMessage` if given, without tar. */
export function unpackCommand(remoteDir: string, noTarMessage?: string): string[] {
  const say = noTarMessage ? `echo ${shellQuote(noTarMessage)} >&2; ` : '';
  const dest = shellQuoteRemotePath(remoteDir);
  return ['sh', '-c', `command -v tar >/dev/null 2>&1 || { ${say}exit ${NO_TAR_EXIT}; }; mkdir -p ${dest} && tar --no-same-owner -xf - -C ${dest}`];
}
