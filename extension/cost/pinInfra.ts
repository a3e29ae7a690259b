/**
 * "Pin infra" from the offers view: sets `resources.infra` in the task document with one
 * text edit (replace the existing `infra:` of the top-level `resources:` block, or insert
 * one right under `resources:`, or add the block). Comments and layout stay as written.
 */
export interface TextEditSpec {
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
  newText: string;
}

export function pinInfraEdit(text: string, infra: string): TextEditSpec {
  const lines = text.split('\n');
  const resIdx = lines.findIndex((l) => /^resources\s*:\s*(#.*)?$/.test(l));
  if (resIdx < 0) {
    const inline = lines.findIndex((l) => /^resources\s*:/.test(l));
    if (inline >= 0) throw new Error('resources: is written inline; pin infra by hand (resources: {infra: ...}).');
    const last = lines.length - 1;
    const prefix = lines[last] === '' ? '' : '\n';
    return { line: last, character: lines[last].length, endLine: last, endCharacter: lines[last].length, newText: `${prefix}resources:\n  infra: ${infra}\n` };
  }
  let indent: string | undefined;
  for (let i = resIdx + 1; i < lines.length; i++) {
    const l = lines[i];
    if (/^\s*(#.*)?$/.test(l)) continue;
    const m = /^(\s+)\S/.exec(l);
    if (!m) break; // next top-level key: the block ended
    indent ??= m[1]; // the block's own indentation is that of its first key
    if (m[1] === indent) {
      const infraMatch = /^(\s+)(infra|cloud)\s*:\s*([^#\n]*?)(\s*#.*)?$/.exec(l);
      if (infraMatch && infraMatch[2] === 'infra') {
        const start = infraMatch[1].length + 'infra'.length;
        const colon = l.indexOf(':', start);
        return { line: i, character: colon + 1, endLine: i, endCharacter: colon + 1 + l.slice(colon + 1).replace(/\s*#.*$/, '').length, newText: ` ${infra}` };
      }
    }
  }
  return { line: resIdx + 1, character: 0, endLine: resIdx + 1, endCharacter: 0, newText: `${indent ?? '  '}infra: ${infra}\n` };
}
