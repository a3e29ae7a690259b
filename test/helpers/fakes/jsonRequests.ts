/**
 * The request plumbing the fake cloud APIs share: collect the body, parse it as JSON
 * (empty is `{}`), hand it to the fake's router, and answer each API's own way when the
 * body is not JSON or the router throws.
 */
import type * as http from 'node:http';

export type Json = Record<string, unknown>;

export function jsonRequests(
  handle: (req: http.IncomingMessage, res: http.ServerResponse, body: Json) => void,
  answers: { badJson: (res: http.ServerResponse) => void; crashed: (res: http.ServerResponse, err: unknown) => void },
): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Json;
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Json) : {};
      } catch {
        return answers.badJson(res);
      }
      try {
        handle(req, res, body);
      } catch (err) {
        answers.crashed(res, err);
      }
    });
  };
}
