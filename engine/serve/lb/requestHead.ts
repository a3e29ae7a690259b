/**
 * Parsing of a client's request head (request line and headers, without the final blank line)
 * for the load balancer's own HTTP/1.1 server. Strict where request smuggling lives: CRLF line
 * ends only, no control characters, header names are tokens, no line folding, one numeric
 * Content-Length, never with Transfer-Encoding, and a Transfer-Encoding must end in chunked.
 * The head sent on to the replica is the client's own bytes when nothing in it needs changing
 * (the common case), else rebuilt without the hop-by-hop headers.
 */
import { malformedHead } from './upstream';

export const enum Body {
  None,
  Length,
  Chunked,
}

export interface RequestHead {
  method: string;
  target: string;
  /** HTTP/1.x minor version. */
  minor: number;
  body: Body;
  /** Content-Length, when body is Length. */
  length: number;
  /** The client keeps the connection open after this exchange. */
  keepAlive: boolean;
  /** An HTTP/1.1 Upgrade (WebSocket): tunnelled as is. */
  upgrade: boolean;
  /** `Expect: 100-continue`: the client waits for a 100 before sending its body. */
  expectContinue: boolean;
  /**
   * The head for the replica without its final blank line (nor a Host header when `needsHost`),
   * or undefined when the client's own bytes can go as they are.
   */
  rewritten: string | undefined;
  /** An HTTP/1.0 request without Host: the replica's address is added. */
  needsHost: boolean;
}

/** A request the load balancer refuses itself (status and reason for the client). */
export class BadRequest extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** A request head the way the parser takes it (request line and header lines, each ended by CRLF). */
const WELL_FORMED_REQUEST =
  /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/1\.([01])\r\n(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*\r\n)*$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^ ]+) HTTP\/1\.([01])$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^\d{1,15}$/;

/** Hop-by-hop headers (RFC 9110 7.6.1): meant for the load balancer, never passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** What is wrong with a head WELL_FORMED_REQUEST refused. */
function whyBad(text: string): string {
  const bad = malformedHead(text);
  if (bad) return bad.replace('response', 'request');
  const lines = text.split('\r\n');
  if (!REQUEST_LINE.test(lines[0])) return 'bad request line';
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c <= 0 || !TOKEN.test(l.slice(0, c))) return `bad header line ${JSON.stringify(l.slice(0, 40))}`;
  }
  return 'malformed request head';
}

/** Parses `text`, the head up to (not including) its final CRLFCRLF. Throws BadRequest. */
export function parseRequestHead(text: string): RequestHead {
  const m = WELL_FORMED_REQUEST.exec(`${text}\r\n`);
  if (!m) throw new BadRequest(400, whyBad(text));
  const method = m[1];
  const target = m[2];
  const minor = m[3] === '1' ? 1 : 0;
  const firstEnd = text.indexOf('\r\n');
  let length = -1;
  let transferEncoding: string | undefined;
  let connection = '';
  let upgradeHeader = false;
  let expectContinue = false;
  let host = false;
  let strip = false;
  let pos = firstEnd < 0 ? text.length : firstEnd + 2;
  while (pos < text.length) {
    let eol = text.indexOf('\r\n', pos);
    if (eol < 0) eol = text.length;
    const c = text.indexOf(':', pos);
    const n = c - pos;
    // Only names as long as the headers that matter here need a closer look.
    if (n === 2 || n === 4 || (n >= 6 && n <= 19 && n !== 8 && n !== 9 && n !== 11 && n !== 12 && n !== 13 && n !== 15)) {
      const lower = text.slice(pos, c).toLowerCase();
      const value = text.slice(c + 1, eol).trim();
      if (lower === 'host') host = true;
      else if (lower === 'content-length') {
        if (!DIGITS.test(value) || (length >= 0 && Number(value) !== length))
          throw new BadRequest(400, length >= 0 ? 'conflicting Content-Length headers' : 'bad Content-Length');
        length = Number(value);
      } else if (lower === 'expect') {
        if (value.toLowerCase() === '100-continue') {
          expectContinue = true;
          strip = true; // answered here; the replica must not answer it again
        }
      } else if (HOP_BY_HOP.has(lower)) {
        strip = true;
        if (lower === 'transfer-encoding') transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        else if (lower === 'connection') connection += `${value.toLowerCase()},`;
        else if (lower === 'upgrade') upgradeHeader = true;
      }
    }
    pos = eol + 2;
  }
  // HTTP/1.1 requires Host (RFC 9112 3.2), as Node's own server does.
  if (!host && minor === 1) throw new BadRequest(400, 'missing Host header');
  let body = Body.None;
  if (transferEncoding !== undefined) {
    // RFC 9112 6.1, 6.3: both framings is a smuggling pattern; a request's last coding must be chunked.
    if (length >= 0) throw new BadRequest(400, 'both Transfer-Encoding and Content-Length');
    if (!/(^|,)\s*chunked\s*$/i.test(transferEncoding))
      throw new BadRequest(400, `unsupported Transfer-Encoding ${JSON.stringify(transferEncoding.slice(0, 40))}`);
    body = Body.Chunked;
  } else if (length > 0) body = Body.Length;
  const close = /(^|[\s,])close[\s,]/.test(connection);
  const keepAlive = minor === 1 ? !close : !close && /(^|[\s,])keep-alive[\s,]/.test(connection);
  const upgrade = upgradeHeader && /(^|[\s,])upgrade[\s,]/.test(connection);
  let rewritten: string | undefined;
  if (!upgrade && (strip || !host || minor === 0)) {
    let h = `${method} ${target} HTTP/1.1\r\n`;
    pos = firstEnd < 0 ? text.length : firstEnd + 2;
    while (pos < text.length) {
      let eol = text.indexOf('\r\n', pos);
      if (eol < 0) eol = text.length;
      const lower = text.slice(pos, text.indexOf(':', pos)).toLowerCase();
      if (!HOP_BY_HOP.has(lower) && !(expectContinue && lower === 'expect')) h += `${text.slice(pos, eol)}\r\n`;
      pos = eol + 2;
    }
    if (body === Body.Chunked) h += 'transfer-encoding: chunked\r\n';
    rewritten = h;
  }
  return { method, target, minor, body, length: Math.max(length, 0), keepAlive, upgrade, expectContinue, rewritten, needsHost: !host };
}
