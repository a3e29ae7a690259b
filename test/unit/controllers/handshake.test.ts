import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROLLER_PROTOCOL, ControllerVersionError, handshake, handshakeWhenDiffers, type InstalledController } from '../../../engine/controllers/handshake';

const client = { version: '0.2.0', protocol: CONTROLLER_PROTOCOL };
const installed = (version: string, protocol = CONTROLLER_PROTOCOL): InstalledController => ({ version, protocol, providers: ['ssh'] });

test('nothing installed: install; same version and protocol: use it as it is', () => {
  assert.equal(handshake(undefined, client).action, 'install');
  assert.deepEqual(handshake(installed('0.2.0'), client), { action: 'use' });
  assert.deepEqual(handshake(installed('0.1.0'), client), { action: 'ask-busy' });
  assert.deepEqual(handshake(installed('0.2.0', CONTROLLER_PROTOCOL + 1), client), { action: 'ask-busy' });
});

test('another version on an idle controller is replaced by this one (older or newer)', () => {
  assert.equal(handshakeWhenDiffers('jobs', 'c', installed('0.1.0'), client, 0).action, 'install');
  assert.equal(handshakeWhenDiffers('serve', 'c', installed('9.0.0', CONTROLLER_PROTOCOL + 3), client, 0).action, 'install');
});

test('an older controller with unfinished jobs and the same protocol keeps running them, and the client says so', () => {
  const d = handshakeWhenDiffers('jobs', 'sky-jobs-controller-1234abcd', installed('0.1.0'), client, 2);
  assert.equal(d.action, 'use-installed');
  assert.match(d.action === 'use-installed' ? d.note : '', /runs SkyDeck 0\.1\.0 \(this is 0\.2\.0\) and has 2 unfinished managed job\(s\).*upgraded/);
});

test('a busy controller speaking another protocol: an error that says exactly what to do', () => {
  assert.throws(
    () => handshakeWhenDiffers('serve', 'sky-serve-controller-1234abcd', installed('0.1.0', CONTROLLER_PROTOCOL - 1), client, 1),
    (e: unknown) => {
      assert.ok(e instanceof ControllerVersionError);
      assert.match(e.message, /runs SkyDeck 0\.1\.0 \(controller protocol \d+\); this SkyDeck 0\.2\.0 speaks protocol \d+.*1 service\(s\)/);
      assert.match(e.hint ?? '', /Manage them with SkyDeck 0\.1\.0.*wait until they finish.*skydeck serve down -a/);
      return true;
    },
  );
});
