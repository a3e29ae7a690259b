/** Replica replies a load balancer must refuse (502) without falling over; also sent by bench/chaos/lb.ts. */

/** Each kind of bad reply, byte-exact (status line, headers, body). */
export const MALFORMED: Record<string, string> = {
  'bare LF inside the head': 'HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\nContent-Length: 2\r\n\r\nok',
  'LF-only line endings': 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok',
  'space in a header name': 'HTTP/1.1 200 OK\r\nX Bad: 1\r\nContent-Length: 2\r\n\r\nok',
  'control character in a header value': 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 2\r\n\r\nok',
  'NUL in a header name': 'HTTP/1.1 200 OK\r\nX-\x00A: 1\r\nContent-Length: 2\r\n\r\nok',
  'control character in the status text': 'HTTP/1.1 200 O\x07K\r\nContent-Length: 2\r\n\r\nok',
  'non-numeric status': 'HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok',
  'header line without a colon': 'HTTP/1.1 200 OK\r\nNoColonHere\r\nContent-Length: 2\r\n\r\nok',
  'conflicting Content-Length': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nok',
  'non-numeric Content-Length': 'HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok',
  'Content-Length with chunked': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
};
