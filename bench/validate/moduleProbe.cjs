// Preloaded into the language server by the bench: at exit, writes the list of every
// module file node loaded (require.cache) to SKYDECK_MODULE_PROBE.
const fs = require('node:fs');
process.on('exit', () => {
  const out = process.env.SKYDECK_MODULE_PROBE;
  if (out) fs.writeFileSync(out, JSON.stringify(Object.keys(require.cache)));
});
