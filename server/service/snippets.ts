/**
 * Snippet text for completions: `defaultSnippets` bodies written as YAML (placeholders such
 * as `${1:A100}` kept verbatim), and the static names offered before catalog insights load.
 */

export function yamlSnippet(body: unknown, indent = ''): string {
  if (body === null || body === undefined) return '';
  if (Array.isArray(body)) {
    return body
      .map((item) => {
        const inner = yamlSnippet(item, `${indent}  `);
        return typeof item === 'object' && item !== null ? `${indent}- ${inner.trimStart()}` : `${indent}- ${inner}`;
      })
      .join('\n');
  }
  if (typeof body === 'object') {
    return Object.entries(body as Record<string, unknown>)
      .map(([k, v]) => {
        if (typeof v === 'object' && v !== null) return `${indent}${k}:\n${yamlSnippet(v, `${indent}  `)}`;
        return `${indent}${k}: ${yamlSnippet(v, indent)}`;
      })
      .join('\n');
  }
  return String(body);
}

/** Common accelerator names (SkyPilot catalog spelling), offered until the catalog answers. */
export const COMMON_ACCELERATORS = [
  'H100',
  'H100-MEGA',
  'H200',
  'B200',
  'GB200',
  'A100',
  'A100-80GB',
  'L4',
  'L40S',
  'L40',
  'A10G',
  'A10',
  'T4',
  'V100',
  'V100-32GB',
  'P100',
  'K80',
  'A6000',
  'RTXA6000',
  'A40',
  'MI300X',
  'Gaudi',
  'Inferentia',
  'Trainium',
  'tpu-v4-8',
  'tpu-v5e-8',
  'tpu-v5p-8',
  'tpu-v6e-8',
];
