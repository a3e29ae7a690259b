/**
 * What Cloud Storage checks in the requests SkyDeck's GCS store sends, with the messages the
 * real API answers with (HTTP 400): bucket names (https://cloud.google.com/storage/docs/buckets#naming)
 * and object names (https://cloud.google.com/storage/docs/objects#naming). Written apart from
 * engine/storage/names.ts on purpose: the fake must not agree with SkyDeck by construction.
 * Also the CRC32C (Castagnoli) checksum the API reports for every object, base64 of its
 * big-endian 4 bytes.
 */

export function bucketNameInvalid(name: string): string | undefined {
  const dotted = name.includes('.');
  const ok =
    /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name) &&
    name.length >= 3 &&
    (dotted ? name.length <= 222 && name.split('.').every((p) => p.length >= 1 && p.length <= 63) : name.length <= 63) &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('goog') &&
    !name.includes('google');
  return ok ? undefined : `Invalid bucket name: '${name}'`;
}

export function objectNameInvalid(name: string): string | undefined {
  if (!name) return 'Required parameter: name';
  if (Buffer.byteLength(name) > 1024) return 'The object name is too long (more than 1024 bytes).';
  if (/[\r\n]/.test(name)) return 'Object names must not contain carriage return or line feed characters.';
  if (name === '.' || name === '..') return `Invalid object name: '${name}'`;
  return undefined;
}

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32cBase64(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) crc = TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}
