/**
 * Entry of dist/extension-engine.js: the engine parts the extension uses in-process,
 * bundled apart from dist/extension.js so the extension bundle stays small and nothing
 * here is even parsed until the first command or view needs it (see ./index.ts).
 */
export { clusters, listClusters, loadTaskFile } from '../../engine/cluster/index';
export { parseTaskText } from '../../engine/task/load';
export { nodePoolsFile } from '../../engine/infra/ssh/pools';
export { ensureInclude } from '../../engine/cluster/sshConfig';
/** Store helpers the extension-host tests use to stage records (not used by the extension itself). */
export { putCluster, removeCluster } from '../../engine/cluster/records';
