/**
 * A fake Cloud Storage JSON API (v1) on loopback, reached the way the Google libraries reach
 * an emulator: `STORAGE_EMULATOR_HOST=http://127.0.0.1:PORT`. Like the public emulators it
 * serves the JSON API both under `/storage/v1` and at the root (the Node library calls
 * `${STORAGE_EMULATOR_HOST}/b/...`, Go/Python and rclone `/storage/v1/b/...`) and uploads under
 * `/upload/storage/v1`. No authentication is required (the libraries send none to an emulator);
 * a bearer token, when sent, is accepted.
 *
 * Implemented: buckets insert/get/delete; objects list (prefix, delimiter, pages), get
 * (metadata, `alt=media`), delete; uploads `uploadType=media`, `multipart` and `resumable`
 * (308 with `Range` for partial chunks, as the library expects). Objects carry real `md5Hash`
 * and `crc32c` (the library checks them after every upload and download).
 *
 * Requests are checked as the real API checks them (./validation/gcs.ts): an invalid bucket
 * name, a missing `project`, a non-empty bucket delete, a checksum that does not match the
 * data, a resumable chunk at the wrong offset are the errors the real API answers with.
 * Docs: https://cloud.google.com/storage/docs/json_api/v1 and
 * https://cloud.google.com/storage/docs/performing-resumable-uploads.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bucketNameInvalid, crc32cBase64, objectNameInvalid } from './validation/gcs';

type Json = Record<string, unknown>;

export interface FakeGcsObject {
  data: Buffer;
  contentType: string;
  generation: number;
  created: string;
}

export interface FakeGcsBucket {
  location: string;
  project: string;
  created: string;
  objects: Map<string, FakeGcsObject>;
}

export interface FakeGcs {
  /** The value for STORAGE_EMULATOR_HOST. */
  url: string;
  port: number;
  buckets: Map<string, FakeGcsBucket>;
  /** Requests seen: 'METHOD path?uploadType'. */
  requests: string[];
  reset(): void;
  close(): Promise<void>;
}

interface Resumable {
  bucket: string;
  name: string;
  contentType: string;
  metadata: Json;
  declaredLength?: number;
  received: Buffer[];
  size: number;
}

const PAGE = 1000;

export async function startFakeGcs(): Promise<FakeGcs> {
  const buckets = new Map<string, FakeGcsBucket>();
  const uploads = new Map<string, Resumable>();
  const requests: string[] = [];
  let generation = 1_700_000_000_000_000;
  let base = '';

  function error(res: http.ServerResponse, status: number, reason: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify({ error: { code: status, message, errors: [{ message, domain: 'global', reason }] } }));
  }

  function send(res: http.ServerResponse, body: Json, status = 200): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(body));
  }

  function bucketJson(name: string, b: FakeGcsBucket): Json {
    return {
      kind: 'storage#bucket',
      id: name,
      name,
      selfLink: `${base}/storage/v1/b/${name}`,
      projectNumber: '123456789012',
      location: b.location,
      storageClass: 'STANDARD',
      timeCreated: b.created,
      updated: b.created,
      metageneration: '1',
      etag: 'CAE=',
      iamConfiguration: { uniformBucketLevelAccess: { enabled: true }, bucketPolicyOnly: { enabled: true } },
    };
  }

  function objectJson(bucket: string, name: string, o: FakeGcsObject): Json {
    const enc = encodeURIComponent(name);
    return {
      kind: 'storage#object',
      id: `${bucket}/${name}/${o.generation}`,
      selfLink: `${base}/storage/v1/b/${bucket}/o/${enc}`,
      mediaLink: `${base}/download/storage/v1/b/${bucket}/o/${enc}?generation=${o.generation}&alt=media`,
      name,
      bucket,
      generation: String(o.generation),
      metageneration: '1',
      contentType: o.contentType,
      storageClass: 'STANDARD',
      size: String(o.data.length),
      md5Hash: createHash('md5').update(o.data).digest('base64'),
      crc32c: crc32cBase64(o.data),
      etag: `C${o.generation}=`,
      timeCreated: o.created,
      updated: o.created,
    };
  }

  function notFoundBucket(res: http.ServerResponse, name: string): void {
    error(res, 404, 'notFound', `The specified bucket does not exist.`);
    void name;
  }

  /** Stores an upload after the checks the real API makes on the finished data. */
  function finishUpload(res: http.ServerResponse, bucket: string, name: string, data: Buffer, contentType: string, metadata: Json): void {
    const b = buckets.get(bucket);
    if (!b) return notFoundBucket(res, bucket);
    const bad = objectNameInvalid(name);
    if (bad) return error(res, 400, 'invalid', bad);
    if (typeof metadata.md5Hash === 'string' && metadata.md5Hash !== createHash('md5').update(data).digest('base64'))
      return error(res, 400, 'invalid', `Provided MD5 hash "${metadata.md5Hash}" doesn't match calculated MD5 hash.`);
    if (typeof metadata.crc32c === 'string' && metadata.crc32c !== crc32cBase64(data))
      return error(res, 400, 'invalid', `Provided CRC32C "${metadata.crc32c}" doesn't match calculated CRC32C.`);
    const o: FakeGcsObject = { data, contentType: contentType || 'application/octet-stream', generation: generation++, created: new Date().toISOString() };
    b.objects.set(name, o);
    send(res, objectJson(bucket, name, o));
  }

  /** The checksums a request declares in `X-Goog-Hash` (the library sends them on the last chunk). */
  function hashHeader(req: http.IncomingMessage): Json {
    const out: Json = {};
    for (const part of String(req.headers['x-goog-hash'] ?? '').split(',')) {
      const [k, ...v] = part.trim().split('=');
      if (k === 'crc32c') out.crc32c = v.join('=');
      if (k === 'md5') out.md5Hash = v.join('=');
    }
    return out;
  }

  function parseMultipart(req: http.IncomingMessage, body: Buffer): { metadata: Json; data: Buffer; contentType: string } | string {
    const ct = String(req.headers['content-type'] ?? '');
    const boundary = /boundary="?([^";]+)"?/.exec(ct)?.[1];
    if (!/^multipart\/related/i.test(ct) || !boundary) return 'Content-Type must be multipart/related with a boundary for uploadType=multipart.';
    const delim = Buffer.from(`--${boundary}`);
    const parts: Buffer[] = [];
    let at = body.indexOf(delim);
    while (at >= 0) {
      const next = body.indexOf(delim, at + delim.length);
      if (next < 0) break;
      parts.push(body.subarray(at + delim.length, next));
      at = next;
    }
    if (parts.length !== 2) return `A multipart upload has exactly two parts (metadata, media); got ${parts.length}.`;
    const split = (p: Buffer) => {
      const sep = p.indexOf('\r\n\r\n');
      const head = p.subarray(0, sep).toString();
      let content = p.subarray(sep + 4);
      if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
      return { head, content };
    };
    const meta = split(parts[0]);
    const media = split(parts[1]);
    let metadata: Json;
    try {
      metadata = JSON.parse(meta.content.toString()) as Json;
    } catch {
      return 'Metadata part is not valid JSON.';
    }
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(media.head)?.[1] ?? String(metadata.contentType ?? '');
    return { metadata, data: media.content, contentType };
  }

  function handleUpload(req: http.IncomingMessage, res: http.ServerResponse, bucket: string, url: URL, body: Buffer): void {
    const type = url.searchParams.get('uploadType');
    if (req.method === 'POST' && type === 'media') {
      const name = url.searchParams.get('name');
      if (!name) return error(res, 400, 'required', 'Required parameter: name');
      return finishUpload(res, bucket, name, body, String(req.headers['content-type'] ?? ''), hashHeader(req));
    }
    if (req.method === 'POST' && type === 'multipart') {
      const parsed = parseMultipart(req, body);
      if (typeof parsed === 'string') return error(res, 400, 'invalid', parsed);
      const name = (parsed.metadata.name as string | undefined) ?? url.searchParams.get('name');
      if (!name) return error(res, 400, 'required', 'Required parameter: name');
      return finishUpload(res, bucket, name, parsed.data, parsed.contentType, { ...parsed.metadata, ...hashHeader(req) });
    }
    if (req.method === 'POST' && type === 'resumable') {
      if (!buckets.has(bucket)) return notFoundBucket(res, bucket);
      let metadata: Json = {};
      if (body.length) {
        try {
          metadata = JSON.parse(body.toString()) as Json;
        } catch {
          return error(res, 400, 'parseError', 'Parse Error');
        }
      }
      const name = (metadata.name as string | undefined) ?? url.searchParams.get('name');
      if (!name) return error(res, 400, 'required', 'Required parameter: name');
      const bad = objectNameInvalid(name);
      if (bad) return error(res, 400, 'invalid', bad);
      const id = randomUUID();
      const declared = req.headers['x-upload-content-length'];
      uploads.set(id, {
        bucket,
        name,
        metadata,
        contentType: String(req.headers['x-upload-content-type'] ?? metadata.contentType ?? ''),
        declaredLength: declared !== undefined ? Number(declared) : undefined,
        received: [],
        size: 0,
      });
      res.writeHead(200, {
        location: `${base}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`,
        'content-length': '0',
      });
      return void res.end();
    }
    if (req.method === 'PUT' && type === 'resumable') {
      const id = url.searchParams.get('upload_id') ?? '';
      const up = uploads.get(id);
      if (!up) return error(res, 404, 'notFound', 'No such upload session.');
      const range = String(req.headers['content-range'] ?? '');
      const incomplete = () => {
        const headers: Record<string, string> = { 'content-length': '0' };
        if (up.size > 0) headers.range = `bytes=0-${up.size - 1}`;
        res.writeHead(308, headers);
        res.end();
      };
      // `bytes */TOTAL` or `bytes */*`: a status query (or the final empty chunk).
      const query = /^bytes \*\/(\d+|\*)$/.exec(range);
      if (query) {
        if (query[1] !== '*' && Number(query[1]) === up.size) return complete(up, id);
        return incomplete();
      }
      // `bytes N-*/TOTAL`: the rest of the object in this one request (the library's single-chunk mode).
      const rest = /^bytes (\d+)-\*\/(\d+|\*)$/.exec(range);
      if (rest) {
        if (Number(rest[1]) !== up.size) return incomplete();
        up.received.push(body);
        up.size += body.length;
        if (rest[2] !== '*' && Number(rest[2]) !== up.size) return error(res, 400, 'invalid', `Upload is ${up.size} bytes, not the declared total ${rest[2]}.`);
        return complete(up, id);
      }
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range);
      if (!m) return error(res, 400, 'invalid', `Invalid Content-Range header: "${range}".`);
      const [first, last] = [Number(m[1]), Number(m[2])];
      if (last - first + 1 !== body.length) return error(res, 400, 'invalid', `Content-Range ${range} does not match the ${body.length} bytes sent.`);
      // A chunk that does not start where the stored data ends is refused with the range kept.
      if (first !== up.size) return incomplete();
      up.received.push(body);
      up.size += body.length;
      if (m[3] === '*' || Number(m[3]) > up.size) return incomplete();
      if (Number(m[3]) !== up.size) return error(res, 400, 'invalid', `Upload is larger than the declared total ${m[3]}.`);
      return complete(up, id);
    }
    error(res, 400, 'invalid', `Unsupported upload: ${req.method} uploadType=${type ?? '(none)'}.`);

    function complete(up: Resumable, id: string): void {
      if (up.declaredLength !== undefined && up.declaredLength !== up.size)
        return error(res, 400, 'invalid', `X-Upload-Content-Length was ${up.declaredLength} but ${up.size} bytes were uploaded.`);
      uploads.delete(id);
      finishUpload(res, up.bucket, up.name, Buffer.concat(up.received), up.contentType, { ...up.metadata, ...hashHeader(req) });
    }
  }

  function handleJson(req: http.IncomingMessage, res: http.ServerResponse, rest: string[], url: URL, body: Buffer): void {
    let json: Json = {};
    if (body.length && /json/.test(String(req.headers['content-type'] ?? 'application/json'))) {
      try {
        json = JSON.parse(body.toString()) as Json;
      } catch {
        return error(res, 400, 'parseError', 'Parse Error');
      }
    }
    if (rest[0] !== 'b') return error(res, 404, 'notFound', `Not Found: ${url.pathname}`);
    const bucket = rest[1] === undefined ? undefined : decodeURIComponent(rest[1]);
    if (bucket === undefined) {
      if (req.method === 'POST') {
        const project = url.searchParams.get('project');
        if (!project) return error(res, 400, 'required', 'Required parameter: project');
        const name = json.name;
        if (typeof name !== 'string' || !name) return error(res, 400, 'required', 'Required field: name');
        const bad = bucketNameInvalid(name);
        if (bad) return error(res, 400, 'invalid', bad);
        if (buckets.has(name)) return error(res, 409, 'conflict', 'Your previous request to create the named bucket succeeded and you already own it.');
        const b: FakeGcsBucket = { location: String(json.location ?? 'US').toUpperCase(), project, created: new Date().toISOString(), objects: new Map() };
        buckets.set(name, b);
        return send(res, bucketJson(name, b));
      }
      if (req.method === 'GET') {
        const project = url.searchParams.get('project');
        if (!project) return error(res, 400, 'required', 'Required parameter: project');
        return send(res, { kind: 'storage#buckets', items: [...buckets].filter(([, b]) => b.project === project).map(([n, b]) => bucketJson(n, b)) });
      }
    }
    if (bucket === undefined) return error(res, 405, 'invalid', 'Method not allowed.');
    const b = buckets.get(bucket);
    if (rest.length === 2) {
      if (!b) return notFoundBucket(res, bucket);
      if (req.method === 'GET') return send(res, bucketJson(bucket, b));
      if (req.method === 'DELETE') {
        if (b.objects.size) return error(res, 409, 'conflict', 'The bucket you tried to delete is not empty.');
        buckets.delete(bucket);
        res.writeHead(204);
        return void res.end();
      }
      return error(res, 405, 'invalid', `Method ${req.method} is not supported on a bucket here.`);
    }
    if (rest[2] !== 'o') return error(res, 404, 'notFound', `Not Found: ${url.pathname}`);
    if (!b) return notFoundBucket(res, bucket);
    if (rest.length === 3 && req.method === 'GET') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const delimiter = url.searchParams.get('delimiter') ?? '';
      const max = Math.min(Number(url.searchParams.get('maxResults') ?? PAGE) || PAGE, PAGE);
      const token = url.searchParams.get('pageToken');
      const names = [...b.objects.keys()].filter((n) => n.startsWith(prefix)).sort();
      const items: string[] = [];
      const prefixes = new Set<string>();
      for (const n of names) {
        const cut = delimiter ? n.indexOf(delimiter, prefix.length) : -1;
        if (cut >= 0) prefixes.add(n.slice(0, cut + delimiter.length));
        else items.push(n);
      }
      const start = token ? items.findIndex((n) => n > Buffer.from(token, 'base64').toString()) : 0;
      const page = start < 0 ? [] : items.slice(start, start + max);
      const more = start >= 0 && start + max < items.length;
      const out: Json = { kind: 'storage#objects', items: page.map((n) => objectJson(bucket, n, b.objects.get(n) as FakeGcsObject)) };
      if (!token && prefixes.size) out.prefixes = [...prefixes];
      if (more) out.nextPageToken = Buffer.from(page[page.length - 1]).toString('base64');
      return send(res, out);
    }
    if (rest.length >= 4) {
      const name = decodeURIComponent(rest.slice(3).join('/'));
      const o = b.objects.get(name);
      if (!o) return error(res, 404, 'notFound', `No such object: ${bucket}/${name}`);
      if (req.method === 'GET') {
        if (url.searchParams.get('alt') !== 'media') return send(res, objectJson(bucket, name, o));
        res.writeHead(200, {
          'content-type': o.contentType,
          'content-length': String(o.data.length),
          'x-goog-hash': `crc32c=${crc32cBase64(o.data)},md5=${createHash('md5').update(o.data).digest('base64')}`,
          'x-goog-generation': String(o.generation),
          'x-goog-stored-content-length': String(o.data.length),
        });
        return void res.end(o.data);
      }
      if (req.method === 'DELETE') {
        b.objects.delete(name);
        res.writeHead(204);
        return void res.end();
      }
    }
    error(res, 405, 'invalid', `The fake GCS API does not implement ${req.method} ${url.pathname}`);
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.searchParams.get('uploadType') ? `?uploadType=${url.searchParams.get('uploadType')}` : ''}`);
    const auth = req.headers.authorization;
    if (auth !== undefined && !/^Bearer \S+/.test(auth)) return error(res, 401, 'authError', 'Invalid Credentials');
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (upload) return handleUpload(req, res, decodeURIComponent(upload[1]), url, body);
    const download = /^\/download\/storage\/v1(\/.*)$/.exec(url.pathname);
    const path = download ? download[1] : url.pathname.replace(/^\/storage\/v1(?=\/)/, '');
    // Segments stay encoded so an object name with '/' (encoded as %2F) is one segment.
    handleJson(req, res, path.split('/').filter(Boolean), url, body);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (err) {
        error(res, 500, 'backendError', String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    port,
    buckets,
    requests,
    reset() {
      buckets.clear();
      uploads.clear();
      requests.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
