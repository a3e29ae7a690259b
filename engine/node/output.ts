/** Keeps the last `limit` bytes of a stream (ExecResult.stdout/stderr stay bounded for long streams). */
export class BoundedOutput {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit = 4 * 1024 * 1024) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      const dropped = this.chunks.shift() as Buffer;
      this.size -= dropped.length;
    }
  }

  toString(): string {
    const all = Buffer.concat(this.chunks);
    return (all.length > this.limit ? all.subarray(all.length - this.limit) : all).toString('utf8');
  }
}

/** Valid POSIX environment variable name (what we accept in ExecOptions.env). */
export function isEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
