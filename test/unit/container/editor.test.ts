// The editor on `image_id: docker:`: the hover says where and how it runs; a task pinned to
// `local` on a machine without Docker gets a warning on the image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskLanguageService, type TextDocumentLike } from '../../../server/service/languageService';

let version = 0;
function doc(textWithCursor: string): { d: TextDocumentLike; pos: { line: number; character: number } } {
  const at = textWithCursor.indexOf('|');
  const text = at >= 0 ? textWithCursor.slice(0, at) + textWithCursor.slice(at + 1) : textWithCursor;
  const before = text.slice(0, Math.max(0, at)).split('\n');
  return {
    d: { uri: `file:///w/t${++version}.yaml`, version, getText: () => text },
    pos: { line: before.length - 1, character: before[before.length - 1].length },
  };
}

function hoverText(s: TaskLanguageService, text: string): string {
  const { d, pos } = doc(text);
  const h = s.hover(d, pos);
  const contents = h?.contents as { value?: string } | undefined;
  assert.ok(typeof contents?.value === 'string', `no hover for ${text}`);
  return contents.value;
}

test('hover on a docker: image says where it will run and how, per infra', () => {
  const s = new TaskLanguageService();
  const local = hoverText(s, 'resources:\n  infra: local\n  image_id: docker:ubu|ntu:22.04\nrun: x\n');
  assert.match(local, /Container image\*\* `ubuntu:22.04`/);
  assert.match(local, /one Docker container per node on this machine/);
  assert.match(local, /--network host/);
  assert.match(local, /SKYPILOT_DOCKER_USERNAME/);
  assert.match(hoverText(s, 'resources:\n  infra: ssh/lab\n  image_id: docker:ubu|ntu\nrun: x\n'), /each SSH pool host/);
  assert.match(hoverText(s, 'resources:\n  infra: aws/us-east-1\n  image_id: docker:ubu|ntu\nrun: x\n'), /each VM/);
  assert.match(hoverText(s, 'resources:\n  infra: k8s\n  image_id: docker:ubu|ntu\nrun: x\n'), /image of each pod/);
  assert.match(
    hoverText(s, 'resources:\n  image_id:\n    us-east-1: ami-0123456789abcdef0\n    docker: nvcr.io/nv|idia/pytorch:24.05-py3\nrun: x\n'),
    /`nvcr.io\/nvidia\/pytorch:24.05-py3`/,
  );
  assert.match(
    hoverText(s, 'num_nodes: 2\nresources:\n  infra: ssh/lab\n  image_id: docker:ubu|ntu\nrun: x\n'),
    /With 2 nodes, every rank runs in its node's container/,
  );
});

test('a task on local gets a warning when this machine has no Docker, none when it has', () => {
  const s = new TaskLanguageService();
  const text = 'resources:\n  infra: local\n  image_id: docker:ubuntu:22.04\nrun: x\n';
  const saved = process.env.PATH;
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-nopath-'));
  const withDocker = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-path-'));
  fs.writeFileSync(path.join(withDocker, 'docker'), '#!/bin/sh\n', { mode: 0o755 });
  try {
    process.env.PATH = empty;
    const diags = s.diagnostics(doc(text).d).filter((x) => x.code === 'no-container-runtime');
    assert.equal(diags.length, 1);
    assert.equal(diags[0].range.start.line, 2);
    assert.match(String(diags[0].message), /no Docker: install Docker Engine \(Debian\/Ubuntu: sudo apt-get install docker.io\)/);
    process.env.PATH = withDocker;
    assert.deepEqual(
      s.diagnostics(doc(text).d).filter((x) => x.code === 'no-container-runtime'),
      [],
    );
    // Kubernetes runs it as the pod: nothing to install here.
    process.env.PATH = empty;
    assert.deepEqual(
      s.diagnostics(doc(text.replace('local', 'k8s')).d).filter((x) => x.code === 'no-container-runtime'),
      [],
    );
  } finally {
    process.env.PATH = saved;
    fs.rmSync(empty, { recursive: true, force: true });
    fs.rmSync(withDocker, { recursive: true, force: true });
  }
});
