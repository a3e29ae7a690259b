import * as fs from 'node:fs'; import * as os from 'node:os'; import * as path from 'node:path';
import { clusters } from './engine/cluster';
import { LocalTransport } from './engine/node/local';
import { buildTestImage, ensureDockerDaemon } from './test/helpers/docker';
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'prof-'));
process.env.SKYDECK_HOME = home; process.env.SKYDECK_SSH_CONFIG = path.join(home, 'ssh_config');
const orig = LocalTransport.prototype.exec;
let t0 = 0; let log = false;
LocalTransport.prototype.exec = async function (argv, o) {
  const s = performance.now(); const r = await orig.call(this, argv, o);
  if (log) { const a = argv[0] === 'bash' && argv[3] === 'skydeck-enter' ? ['ENTER', ...argv.slice(9)] : argv; console.log(`${(s - t0).toFixed(0).padStart(6)} +${(performance.now() - s).toFixed(0).padStart(5)}  ${a.join(' ').slice(0, 110).replace(/\n/g, ' ')}`); }
  return r;
};
function task(image?: string) { const t: any = { numNodes: 1, run: 'echo first', envs: {}, secrets: {}, fileMounts: {}, resources: { base: { infra: { cloud: 'local' } }, candidates: [], mode: 'single' }, raw: {} }; if (image) t.resources.base.imageId = `docker:${image}`; return t; }
(async () => {
  await ensureDockerDaemon(); const image = buildTestImage();
  for (const [name, img] of [['ph', undefined], ['pc', image]] as const) {
    log = true; t0 = performance.now(); console.log(`== launch ${name}`);
    await clusters.launch(task(img), { clusterName: name, onOutput: () => { if (log) console.log(`${(performance.now() - t0).toFixed(0)} FIRST OUTPUT`); log = false; } });
    log = true; t0 = performance.now(); console.log(`== exec ${name}`);
    await clusters.exec(name, task(), { onOutput: () => { if (log) console.log(`${(performance.now() - t0).toFixed(0)} FIRST OUTPUT`); log = false; } });
  }
  for (const n of ['ph', 'pc']) await clusters.down(n);
  process.exit(0);
})();
