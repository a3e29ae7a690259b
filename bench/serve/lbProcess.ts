// Runs SkyDeck's load balancer alone for the bench. argv: port url1,url2,...
import { LoadBalancer } from '../../engine/serve/lb/loadBalancer';
import { RateWindow } from '../../engine/serve/rate';

const [port, urls] = [Number(process.argv[2]), process.argv[3].split(',')];
const lb = new LoadBalancer({ serviceName: 'bench', policy: 'least_load', host: '127.0.0.1', port, requests: new RateWindow(60) });
lb.setReplicas(urls.map((url, i) => ({ id: i + 1, url })));
lb.listen().then(() => process.stdout.write('ready\n'));
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
