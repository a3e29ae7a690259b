// The language server with 1,000 open documents (real corpus tasks, over LSP): every document
// gets its diagnostics, the same as the first copy of its file got; the server's memory grows
// roughly linearly with the documents; one more edit, and one more document opened, cost about
// what they cost with 100 open.
// The bounds are generous on purpose: they catch a leak or per-edit work over every open
// document (O(n^2) for n edits), not a slowdown of a few percent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { SERVER, startClient, within, type TestClient } from './lspClient';
import { corpusDir, yamlFiles } from '../../helpers/shared';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const DOCS = 1000;
const WARM_DOCS = 100;
const EDITS = 100;
/** Hang detector for one diagnostics round trip on a loaded 2-core machine (not a speed target). */
const HANG_MS = 60_000;
/** RSS growth allowed per added open document: a few corpus tasks are ~2 KB of text each. */
const MAX_RSS_PER_DOC = 512 * 1024;
/**
 * Server CPU with 1,000 open vs with 100 open: for EDITS edits of one document, and per
 * document opened. Even cheap work over every open document per edit or per open (re-sending
 * cached diagnostics) makes this 5x or more; a healthy server stays near 1x.
 */
const MAX_CPU_RATIO = 3;
/** Clock-tick slack (10 ms ticks) so a near-zero baseline cannot fail the ratio. */
const CPU_SLACK_MS = 200;

/** The server process's resident memory and CPU time so far, from /proc. */
function serverUsage(pid: number): { rssBytes: number; cpuMs: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  // utime + stime, in clock ticks (100 per second on Linux).
  return { rssBytes: rssKb * 1024, cpuMs: (Number(fields[11]) + Number(fields[12])) * 10 };
}

const key = (ds: Diagnostic[]): string => JSON.stringify(ds.map((d) => [d.code, d.severity, d.range, d.message]));

/** EDITS edits of one document, alternating an unknown key in and out; returns the server's CPU for them. */
async function editRounds(c: TestClient, uri: string, text: string, firstVersion: number): Promise<{ cpuMs: number; wallMs: number[] }> {
  const pid = c.proc.pid!;
  const wallMs: number[] = [];
  const cpu0 = serverUsage(pid).cpuMs;
  for (let i = 0; i < EDITS; i++) {
    const version = firstVersion + i;
    const withError = i % 2 === 0;
    const t0 = performance.now();
    c.change(uri, withError ? `${text}\nskydeck_bogus_key: 1\n` : text, version);
    const d = await within(c.diagnostics(uri, version), HANG_MS, `diagnostics of edit v${version} on ${uri}`);
    wallMs.push(performance.now() - t0);
    assert.equal(d.version, version);
    const unknown = d.diagnostics.filter(
      (x) => x.code === 'unknown-key' && /skydeck_bogus_key/.test(typeof x.message === 'string' ? x.message : x.message.value),
    );
    assert.equal(unknown.length, withError ? 1 : 0, `edit v${version}: ${JSON.stringify(d.diagnostics)}`);
  }
  return { cpuMs: serverUsage(pid).cpuMs - cpu0, wallMs };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test(
  '1,000 open corpus tasks: diagnostics for each, memory and edit cost bounded',
  { skip: requirePrerequisite(builtFiles(SERVER)), timeout: 30 * 60_000 },
  async (t) => {
    const files = yamlFiles(path.join(corpusDir(), 'tasks'));
    assert.ok(files.length >= 100, `expected the SkyPilot corpus tasks, found ${files.length}`);
    const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
    const c = await startClient({ taskFiles: ['**'], debounceMs: 20 });
    t.after(() => c.stop());
    const insightsLoaded = new Promise<void>((resolve) => c.conn.onNotification('skydeck/insightsLoaded', () => resolve()));
    const uriOf = (i: number): string => `file:///work/open/${i}/${path.basename(files[i % files.length])}`;

    // Document 0 first: its diagnostics start the catalog insights, which republish every open
    // document once when loaded; waiting for that keeps it out of the measurements below.
    c.open(uriOf(0), texts[0]);
    await within(c.diagnostics(uriOf(0), 1), HANG_MS, 'first diagnostics');
    await within(insightsLoaded, 5 * HANG_MS, 'catalog insights loaded');

    const expected = new Map<number, string>();
    /** Opens documents [from, to), checks each one's diagnostics; returns the server's CPU per document. */
    const openRange = async (from: number, to: number): Promise<number> => {
      const cpu0 = serverUsage(c.proc.pid!).cpuMs;
      for (let i = from; i < to; i++) c.open(uriOf(i), texts[i % files.length]);
      for (let i = from; i < to; i++) {
        const d = await within(c.diagnostics(uriOf(i), 1), HANG_MS, `diagnostics of document ${i} (${uriOf(i)})`);
        const source = i % files.length;
        const k = key(d.diagnostics);
        // Every copy of a file gets what its first copy got: no cross-talk between open documents.
        if (!expected.has(source)) expected.set(source, k);
        else assert.equal(k, expected.get(source), `document ${i} (${uriOf(i)}) differs from the first copy of ${files[source]}`);
      }
      return (serverUsage(c.proc.pid!).cpuMs - cpu0) / (to - from);
    };

    expected.set(0, key((await c.diagnostics(uriOf(0), 1)).diagnostics));
    // The first range also pays the JIT warm-up, which only favours the later range.
    const openCpuBefore = await openRange(1, WARM_DOCS);
    const pid = c.proc.pid!;
    const editUri = uriOf(WARM_DOCS / 2);
    const editText = texts[(WARM_DOCS / 2) % files.length];
    await editRounds(c, editUri, editText, 2); // JIT warm-up of the edit path, unmeasured
    const before = await editRounds(c, editUri, editText, 2 + EDITS);
    const rss0 = serverUsage(pid).rssBytes;

    const openCpuAfter = await openRange(WARM_DOCS, DOCS);
    const rss1 = serverUsage(pid).rssBytes;
    const after = await editRounds(c, editUri, editText, 2 + 2 * EDITS);
    const rss2 = serverUsage(pid).rssBytes;

    const perDoc = (rss1 - rss0) / (DOCS - WARM_DOCS);
    t.diagnostic(
      `server RSS: ${(rss0 / 2 ** 20).toFixed(0)} MB with ${WARM_DOCS} open, ${(rss1 / 2 ** 20).toFixed(0)} MB with ${DOCS} (${(perDoc / 1024).toFixed(0)} KB per document), ${(rss2 / 2 ** 20).toFixed(0)} MB after ${EDITS} more edits`,
    );
    t.diagnostic(`server CPU per opened document: ${openCpuBefore.toFixed(1)} ms for the first ${WARM_DOCS}, ${openCpuAfter.toFixed(1)} ms for the rest`);
    t.diagnostic(
      `server CPU for ${EDITS} edits: ${before.cpuMs} ms with ${WARM_DOCS} open, ${after.cpuMs} ms with ${DOCS}; median edit -> diagnostics ${median(before.wallMs).toFixed(0)} ms vs ${median(after.wallMs).toFixed(0)} ms`,
    );

    assert.equal(expected.size, files.length, 'every corpus file was opened');
    assert.ok(perDoc < MAX_RSS_PER_DOC, `RSS grew ${(perDoc / 1024).toFixed(0)} KB per open document (bound ${MAX_RSS_PER_DOC / 1024} KB)`);
    assert.ok(
      after.cpuMs <= MAX_CPU_RATIO * before.cpuMs + CPU_SLACK_MS,
      `${EDITS} edits cost the server ${after.cpuMs} ms of CPU with ${DOCS} documents open vs ${before.cpuMs} ms with ${WARM_DOCS} (bound ${MAX_CPU_RATIO}x + ${CPU_SLACK_MS} ms)`,
    );
    assert.ok(
      openCpuAfter <= MAX_CPU_RATIO * openCpuBefore + CPU_SLACK_MS / WARM_DOCS,
      `opening a document cost the server ${openCpuAfter.toFixed(1)} ms of CPU with up to ${DOCS} open vs ${openCpuBefore.toFixed(1)} ms with up to ${WARM_DOCS} (bound ${MAX_CPU_RATIO}x)`,
    );
    assert.equal(c.proc.exitCode, null, 'server still running');
    assert.deepEqual(c.errors, [], 'handler failures reported by the server');
  },
);
