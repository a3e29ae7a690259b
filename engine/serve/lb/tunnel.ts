/**
 * HTTP/1.1 Upgrade (WebSocket): the client's request goes to the chosen replica on a fresh
 * connection, byte for byte, and from then on both sockets are spliced. Whatever the replica
 * answers (101, or a refusal) reaches the client as it was sent. A replica that cannot be
 * reached before answering gets the client a 502.
 */
import * as net from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Replica } from './exchange';

function plain(status: number, body: string): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

export function tunnel(
  client: net.Socket,
  u: Replica | undefined,
  head: Buffer,
  rest: Buffer,
  noReplicaBody: string,
  done: (u: Replica) => void,
  log: (line: string) => void,
): void {
  client.on('error', () => client.destroy());
  if (!u) {
    client.end(plain(503, noReplicaBody));
    return;
  }
  u.inflight++;
  u.total++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    done(u);
  };
  let answered = false;
  const up = net.connect({ host: u.host, port: u.port, noDelay: true });
  up.write(head);
  if (rest.length) up.write(rest);
  up.once('data', () => (answered = true));
  up.on('error', (err: Error) => {
    if (answered) return;
    u.failures++;
    log(`upgrade to ${u.url} failed: ${err.message}`);
    if (client.writable) client.end(plain(502, `Replica ${u.id} failed: ${err.message}\n`));
  });
  up.on('close', () => {
    release();
    // (A 502 being written is left to finish.)
    if (answered || !client.writableEnded) client.destroy();
  });
  client.on('close', () => up.destroy());
  up.pipe(client);
  client.pipe(up);
}
