// A minimal HTTP replica for the bench: keep-alive, small JSON body. argv: host port
import * as http from 'node:http';
const [host, port] = [process.argv[2] ?? '127.0.0.1', Number(process.argv[3] ?? 8080)];
const body = Buffer.from(JSON.stringify({ ok: true, replica: `${host}:${port}` }));
http
  .createServer({ keepAliveTimeout: 65_000 }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  })
  .listen(port, host, () => process.stdout.write('ready\n'));
