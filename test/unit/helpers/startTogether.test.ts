import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTogether } from '../../helpers/startTogether';

test('startTogether: all started -> all returned in order; one fails -> the started ones are stopped and its error thrown', async () => {
  const stopped: string[] = [];
  const server = (name: string) => ({ name, stop: async () => void stopped.push(name) });
  const both = await startTogether<[ReturnType<typeof server>, ReturnType<typeof server>]>([Promise.resolve(server('a')), Promise.resolve(server('b'))], (s) =>
    s.stop(),
  );
  assert.deepEqual(
    both.map((s) => s.name),
    ['a', 'b'],
  );
  assert.deepEqual(stopped, []);
  await assert.rejects(
    startTogether<[ReturnType<typeof server>, ReturnType<typeof server>, ReturnType<typeof server>]>(
      [Promise.resolve(server('moto')), Promise.reject(new Error('host h2 did not boot')), Promise.resolve(server('gcp'))],
      (s) => s.stop(),
    ),
    /host h2 did not boot/,
  );
  assert.deepEqual(stopped.sort(), ['gcp', 'moto']);
});
