/**
 * A private git server over HTTP on 127.0.0.1 for the tests: git's own smart-HTTP CGI
 * (`git http-backend`) behind a Node server that answers 401 unless the request carries
 * `Authorization: Basic` with the expected token as the user name (how GitHub and SkyPilot's
 * token URLs authenticate). Counts authenticated requests so a test can tell who used it.
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

export interface HttpGitServer {
  /** `http://127.0.0.1:<port>` (repositories are `<url>/<name>.git` under `root`). */
  url: string;
  /** Requests that carried the right token. */
  authorized: () => number;
  close(): Promise<void>;
}

export async function startHttpGitServer(root: string, token: string): Promise<HttpGitServer> {
  let authorized = 0;
  const expected = (h: string | undefined): boolean => {
    const m = /^Basic (.+)$/.exec(h ?? '');
    if (!m) return false;
    const [user, pass] = Buffer.from(m[1], 'base64').toString().split(':');
    return user === token || pass === token;
  };
  const server = http.createServer((req, res) => {
    if (!expected(req.headers.authorization)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="private"' }).end('authentication required\n');
      return;
    }
    authorized++;
    const url = new URL(req.url ?? '/', 'http://x');
    const cgi = spawn(HTTP_BACKEND, [], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: 'token',
        REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => {
      if (!started) res.writeHead(500).end(head);
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorized: () => authorized,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
