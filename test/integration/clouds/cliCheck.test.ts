/**
 * `skydeck check` through the built CLI, which loads the provider bundles
 * (dist/providers/<cloud>.js) lazily: each cloud answers from its emulator or fake when
 * credentials are present, and explains what is missing (no stack trace) when they are not.
 * The Azure fake is trusted with NODE_EXTRA_CA_CERTS, as a user's proxy CA would be.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { motoInstalled, startMoto, type MotoServer } from '../../helpers/moto';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { startFakeAzure, type FakeAzure } from '../../helpers/fakes/azure';
import { startTogether } from '../../helpers/startTogether';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const skip = requirePrerequisite(builtFiles(CLI) ?? (motoInstalled() ? undefined : 'moto (installed into .tools/moto by scripts/setup/30-moto.sh)'));

interface Row {
  infra: string;
  enabled: boolean;
  reason: string;
}

describe('skydeck check (built CLI, provider bundles)', { skip, timeout: 480_000 }, () => {
  let moto: MotoServer;
  let gcp: FakeGcp;
  let az: FakeAzure;
  let home: string;

  before(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-cli-check-'));
    [moto, gcp, az] = await startTogether<[MotoServer, FakeGcp, FakeAzure]>([startMoto(), startFakeGcp({ project: 'cli-proj' }), startFakeAzure()], (s) =>
      'stop' in s ? s.stop() : s.close(),
    );
  });
  after(async () => {
    await Promise.allSettled([moto?.stop(), gcp?.close(), az?.close()]);
    fs.rmSync(home, { recursive: true, force: true });
  });

  function cleanEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|AZURE_|GOOGLE_|GCLOUD_|CLOUDSDK_|SKYDECK_)/.test(k)) env[k] = v;
    return { ...env, HOME: home, SKYDECK_HOME: path.join(home, 'sd') };
  }

  async function check(env: NodeJS.ProcessEnv): Promise<{ rows: Row[]; stderr: string }> {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'check', 'aws', 'gcp', 'azure', '--json'], { env, timeout: 120_000 });
    return { rows: (JSON.parse(stdout) as Row[]).filter((r) => ['aws', 'gcp', 'azure'].includes(r.infra)), stderr };
  }

  it('without credentials every cloud says what is missing and what to run', async () => {
    const { rows, stderr } = await check(cleanEnv());
    assert.deepEqual(
      rows.map((r) => [r.infra, r.enabled]),
      [
        ['aws', false],
        ['gcp', false],
        ['azure', false],
      ],
    );
    assert.match(rows[0].reason, /aws configure/);
    assert.match(rows[1].reason, /gcloud auth application-default login/);
    assert.match(rows[2].reason, /az login/);
    assert.doesNotMatch(JSON.stringify(rows) + stderr, /\n\s+at /, 'no stack traces');
  });

  it('with credentials each cloud answers from its emulator', async () => {
    const { rows } = await check({
      ...cleanEnv(),
      SKYDECK_AWS_ENDPOINT: moto.url,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-west-2',
      SKYDECK_GCP_ENDPOINT: gcp.url,
      SKYDECK_GCP_ACCESS_TOKEN: 'fake',
      GOOGLE_CLOUD_PROJECT: 'cli-proj',
      SKYDECK_AZURE_ENDPOINT: az.url,
      SKYDECK_AZURE_ACCESS_TOKEN: 'fake',
      AZURE_SUBSCRIPTION_ID: az.subscription,
      NODE_EXTRA_CA_CERTS: az.certFile,
    });
    for (const r of rows) assert.equal(r.enabled, true, `${r.infra}: ${r.reason}`);
    assert.match(rows[0].reason, /us-west-2 at http:\/\/127\.0\.0\.1/);
    assert.match(rows[1].reason, /project cli-proj/);
    assert.match(rows[2].reason, new RegExp(az.subscription));
  });

  it('credentials the cloud rejects are reported as such', async () => {
    const { rows } = await check({ ...cleanEnv(), SKYDECK_GCP_ENDPOINT: gcp.url, SKYDECK_GCP_ACCESS_TOKEN: 'fake', GOOGLE_CLOUD_PROJECT: 'someone-elses' });
    const g = rows.find((r) => r.infra === 'gcp');
    assert.equal(g?.enabled, false);
    assert.match(g?.reason ?? '', /refused/);
  });
});
