// The floor of any proxy written on Node's sockets: each client connection spliced to one
// replica connection (round robin), bytes piped both ways, no HTTP parsing at all. Per request
// it does the I/O every Node proxy must do (read the request, write it upstream, read the
// answer, write it back) and nothing else. argv: port url1,url2,...
import * as net from 'node:net';
const port = Number(process.argv[2]);
const upstreams = process.argv[3].split(',').map((u) => new URL(u));
let next = 0;
net
  .createServer({ noDelay: true }, (client) => {
    const u = upstreams[next++ % upstreams.length];
    const replica = net.connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    client.pipe(replica);
    replica.pipe(client);
    client.on('error', () => replica.destroy());
    replica.on('error', () => client.destroy());
    client.on('close', () => replica.destroy());
    replica.on('close', () => client.destroy());
  })
  .listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
