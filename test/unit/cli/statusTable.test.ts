/**
 * The status table (engine/cli/commands/statusTable.ts) is laid out by alignedTable, a leaner
 * build of format.ts's table(): both must give the same bytes for any cells, including empty
 * cells, wide ones, non-ASCII text and last cells that end in whitespace (which table() trims).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { table } from '../../../engine/cluster/format';
import { alignedTable, statusText } from '../../../engine/cli/commands/statusTable';
import { benchCluster } from '../../../bench/status/fill';

function check(headers: string[], rows: string[][]): void {
  assert.equal(alignedTable(headers, rows.flat()), table(headers, rows));
}

test('alignedTable lays out cells exactly as table() does', () => {
  check(['A', 'BB', 'C'], []);
  check(
    ['NAME', 'INFRA', 'COST'],
    [
      ['x', 'AWS (us-east-1)', '$1.00'],
      ['a-much-longer-name', 'Local', '$0.00'],
    ],
  );
  check(
    ['NAME', 'NOTE', 'LAST'],
    [
      ['x', 'trailing ', ''],
      ['y', '', '  '],
      ['', 'ünïcödé ✓', 'end \t'],
      ['z', 'q', 'x\n'],
    ],
  );
  check(['ONLY'], [['a'], [''], ['  b  ']]);
});

test('alignedTable matches table() on random cells', () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const alphabet = ['a', 'B', ' ', '-', 'é', '$', '0', '\t'];
  const cell = () => Array.from({ length: rand(20) }, () => alphabet[rand(alphabet.length)]).join('');
  for (let t = 0; t < 200; t++) {
    const n = 1 + rand(6);
    const headers = Array.from({ length: n }, cell);
    const rows = Array.from({ length: rand(12) }, () => Array.from({ length: n }, cell));
    check(headers, rows);
  }
});

test('statusText lays out the clusters as table() of the same cells', () => {
  const now = Date.now() - 400 * 86_400_000;
  const recs = Array.from({ length: 30 }, (_, i) => ({ ...benchCluster(i, now), ...(i % 9 === 0 ? { lastError: `node ${i} unreachable` } : {}) }));
  for (const verbose of [false, true]) {
    const text = statusText(recs, verbose);
    const [tableText, ...errors] = text.split('\n  ');
    const lines = tableText.replace(/\n$/, '').split('\n');
    assert.equal(lines.length, recs.length + 1);
    const headers = lines[0].split(/ {2,}/);
    assert.deepEqual(headers, ['NAME', 'INFRA', 'RESOURCES', 'STATUS', 'AUTOSTOP', 'LAUNCHED', ...(verbose ? ['HEAD_IP'] : []), 'UPTIME', 'COST (est.)']);
    // Re-laying the parsed cells out with table() gives the same text: the columns are table()'s.
    const rows = lines.slice(1).map((l) => l.split(/ {2,}/));
    assert.ok(rows.every((r) => r.length === headers.length));
    assert.equal(table(headers, rows), tableText.replace(/\n$/, ''));
    assert.equal(errors.length, 4);
  }
});
