/**
 * The event the CLI raises on `process` when nobody reads its output any more (EPIPE): commands
 * that can be interrupted stop as they would on a hang-up (engine/cli/main.ts raises it).
 */
export const OUTPUT_GONE = 'skydeck:output-gone';
