/**
 * Decoding of HTTP/1.1 chunked framing, fed in whatever pieces the socket delivers: used for
 * replicas' chunked responses and clients' chunked uploads. Trailers are read and dropped.
 */

const enum Step {
  Size,
  Data,
  DataEnd,
  Trailers,
}

/** The longest chunk-size or trailer line accepted (extensions included). */
const MAX_LINE = 4096;

export class ChunkedError extends Error {}

export class ChunkedDecoder {
  private step = Step.Size;
  private remaining = 0;
  private line = '';

  /**
   * Decodes `data` from `start`, passing each piece of body to `onData`. Returns the offset
   * just past the end of the message (the last chunk and trailers), or -1 when more bytes are
   * needed. Throws ChunkedError on bad framing.
   */
  decode(data: Buffer, start: number, onData: (piece: Buffer) => void): number {
    let i = start;
    while (i < data.length) {
      switch (this.step) {
        case Step.Size:
        case Step.Trailers: {
          const nl = data.indexOf(10, i);
          const part = data.toString('latin1', i, nl < 0 ? data.length : nl);
          if (nl < 0) {
            this.line += part;
            if (this.line.length > MAX_LINE) throw new ChunkedError('chunk header line too long');
            return -1;
          }
          let line = this.line + part;
          this.line = '';
          i = nl + 1;
          if (!line.endsWith('\r')) throw new ChunkedError('chunk line not ended by CRLF');
          line = line.slice(0, -1);
          if (this.step === Step.Trailers) {
            if (line === '') {
              this.step = Step.Size;
              return i;
            }
            continue;
          }
          const semi = line.indexOf(';');
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new ChunkedError(`bad chunk size ${JSON.stringify(hex.slice(0, 20))}`);
          const size = parseInt(hex, 16);
          if (size === 0) this.step = Step.Trailers;
          else {
            this.remaining = size;
            this.step = Step.Data;
          }
          continue;
        }
        case Step.Data: {
          const take = Math.min(this.remaining, data.length - i);
          onData(data.subarray(i, i + take));
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            this.step = Step.DataEnd;
            this.remaining = 2;
          }
          continue;
        }
        case Step.DataEnd: {
          // The CRLF after a chunk's data.
          const expect = this.remaining === 2 ? 13 : 10;
          if (data[i] !== expect) throw new ChunkedError('chunk data not followed by CRLF');
          this.remaining--;
          i++;
          if (this.remaining === 0) this.step = Step.Size;
          continue;
        }
      }
    }
    return -1;
  }
}

/** One chunk of `body` in chunked framing, as a single buffer (one write). */
export function encodeChunk(body: Buffer): Buffer {
  const size = `${body.length.toString(16)}\r\n`;
  const out = Buffer.allocUnsafe(size.length + body.length + 2);
  out.write(size, 0, 'latin1');
  body.copy(out, size.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

export const LAST_CHUNK = '0\r\n\r\n';
