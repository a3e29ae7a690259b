/**
 * A fake Kubernetes API server on loopback, faithful to the documented shapes of what the
 * provider uses (https://kubernetes.io/docs/reference/kubernetes-api/): /version;
 * core/v1 nodes, namespaces, pods, services, events and persistentvolumeclaims (bound at once;
 * a pod naming a missing claim stays unschedulable) (list with labelSelector and
 * fieldSelector, get, create, delete, deletecollection); `?watch=true` streams of
 * newline-delimited WatchEvents (ADDED/MODIFIED/DELETED/BOOKMARK) from a resourceVersion;
 * and pods/exec over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io): channel 0 stdin,
 * 1 stdout, 2 stderr, 3 a v1 Status with the exit code, v5's 255 close frame for stdin.
 *
 * A tiny scheduler places pods on nodes by requests (cpu, memory, extended resources)
 * against allocatable minus other pods' requests, honouring nodeSelector, required node
 * affinity (In/NotIn/Exists/DoesNotExist) and NoSchedule taints vs. tolerations. A pod that
 * fits gets nodeName, a podIP and phase Running; one that does not stays Pending with
 * PodScheduled=False/Unschedulable ("0/N nodes are available: ...") and a FailedScheduling
 * event, as kube-scheduler reports it. Created objects are validated as the API server
 * validates them (./validation/kubernetes.ts): a quantity like "16GB" is its 400, a bad
 * name or label its 422. Exec runs the argv as a local process whose cwd and
 * HOME are the pod's own temp dir; deleting a pod kills its processes and removes that
 * directory, unmounting its FUSE mounts first and never descending into a mount (./podDirs.ts).
 * `podSecurity: 'baseline'` refuses pods as a namespace enforcing that Pod Security Standard does.
 *
 * Service accounts (core/v1, every namespace has `default`) and RBAC's namespaced roles and
 * rolebindings can be read, listed, created and deleted; a pod naming an account its namespace
 * lacks is refused with the ServiceAccount admission plugin's 403.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import * as os from 'node:os';
import * as path from 'node:path';
import { releasePodDir } from './podDirs';
import { parseQuantity, validateNamespace, validatePersistentVolumeClaim, validatePod, validateService, type KubeRejection } from './validation/kubernetes';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface FakeNodeSpec {
  name: string;
  cpu?: string;
  memory?: string;
  /** Allocatable nvidia.com/gpu. */
  gpus?: number;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  ready?: boolean;
  unschedulable?: boolean;
  /** Other allocatable resources, e.g. a device plugin's (`smarter-devices/fuse`). */
  extendedResources?: Record<string, string>;
}

export interface FakeKubernetesOptions {
  nodes?: FakeNodeSpec[];
  /** Bearer token the server requires (401 otherwise). */
  token?: string;
  /** Namespaces that exist at start (default: default, kube-system). */
  namespaces?: string[];
  /** Answer 403 for listing pods across namespaces (RBAC without cluster-wide list). */
  forbidClusterPodList?: boolean;
  /** Keep new pods Pending (unscheduled, no condition) until `schedulePending()`. */
  holdScheduling?: boolean;
  /** Images the kubelet cannot pull: their pods stay Pending with ErrImagePull. */
  unpullableImages?: string[];
  /** The namespaces' enforced Pod Security Standard: `baseline` refuses privileged pods, added capabilities, unconfined AppArmor (403). */
  podSecurity?: 'baseline';
  /** Answer 403 for creating Roles and RoleBindings (RBAC that allows pods but not roles). */
  forbidRoleCreation?: boolean;
}

interface Watcher {
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  res: http.ServerResponse;
}

interface WsLike {
  protocol: string;
  send(data: Buffer): void;
  close(code?: number): void;
  on(event: 'message', l: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'close', l: () => void): void;
}
interface WsServerLike {
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WsLike) => void): void;
  close(): void;
}
const { WebSocketServer } = require('ws') as {
  WebSocketServer: new (o: { noServer: boolean; handleProtocols: (p: Set<string>) => string | false }) => WsServerLike;
};

export interface ExecRecord {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  protocol: string;
}

/** Requests were validated on create, so every quantity here parses. */
function qty(q: unknown): number {
  if (q === undefined || q === null) return 0;
  return parseQuantity(q) ?? NaN;
}

function status(code: number, reason: string, message: string, details?: Json): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** `a=b,c!=d,e in (x,y),f notin (z),g,!h` */
export function matchLabels(selector: string | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  const parts = selector.match(/(?:[^,(]|\([^)]*\))+/g) ?? [];
  return parts.every((raw) => {
    const p = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      const vals = m[3].split(',').map((s) => s.trim());
      const has = m[1] in labels && vals.includes(labels[m[1]]);
      return m[2] === 'in' ? has : !has;
    }
    if ((m = /^([^!=]+)!=(.*)$/.exec(p))) return labels[m[1].trim()] !== m[2].trim();
    if ((m = /^([^!=]+)==?(.*)$/.exec(p))) return labels[m[1].trim()] === m[2].trim();
    if (p.startsWith('!')) return !(p.slice(1) in labels);
    return p in labels;
  });
}

function fieldOf(obj: Json, field: string): string {
  let v: unknown = obj;
  for (const k of field.split('.')) v = v && typeof v === 'object' ? (v as Json)[k] : undefined;
  return v === undefined || v === null ? '' : String(v);
}

/** Field selectors as the API supports them for pods: `status.phase!=X,spec.nodeName=Y,metadata.name=Z`. */
export function matchFields(selector: string | undefined, obj: Json): boolean {
  if (!selector) return true;
  return selector.split(',').every((p) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(p.trim());
    if (!m) return true;
    const v = fieldOf(obj, m[1]);
    return m[2] === '!=' ? v !== m[3] : v === m[3];
  });
}

export class FakeKubernetes {
  url = '';
  readonly requests: string[] = [];
  readonly execs: ExecRecord[] = [];
  readonly root: string;
  private server!: http.Server;
  private wss!: WsServerLike;
  private rv = 1;
  private readonly store = new Map<string, Map<string, Json>>(); // kind -> key -> object
  private readonly watchers = new Set<Watcher>();
  private readonly processes = new Map<string, Set<ChildProcess>>();
  private ipSeq = 10;
  private nodePortSeq = 30000;
  private readonly dirRemovals = new Set<Promise<void>>();
  /** Mounts a pod deletion found under a pod directory and could not unmount (left in place, never entered). */
  readonly leftMounts: string[] = [];

  private constructor(private readonly options: FakeKubernetesOptions) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-fake-k8s-'));
    for (const k of ['nodes', 'namespaces', 'pods', 'services', 'events', 'persistentvolumeclaims']) this.store.set(k, new Map());
    for (const k of RBAC_KINDS) this.store.set(k, new Map());
    for (const ns of options.namespaces ?? ['default', 'kube-system']) this.put('namespaces', { metadata: { name: ns }, status: { phase: 'Active' } });
    // The service account controller gives every namespace its `default` account.
    for (const ns of options.namespaces ?? ['default', 'kube-system']) this.put('serviceaccounts', { metadata: { name: 'default', namespace: ns } });
    for (const n of options.nodes ?? [{ name: 'node-1' }]) this.addNode(n);
  }

  static async start(options: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
    const fake = new FakeKubernetes(options);
    await fake.listen();
    return fake;
  }

  private async listen(): Promise<void> {
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (protocols) =>
        protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false,
    });
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig with one context per name (all pointing here); `namespace` per context optional. */
  writeKubeconfig(file: string, contexts: { name: string; namespace?: string; server?: string }[] = [{ name: 'fake' }], current = contexts[0]?.name): string {
    const lines = ['apiVersion: v1', 'kind: Config', `current-context: ${JSON.stringify(current)}`, 'clusters:'];
    contexts.forEach((c, i) => lines.push(`- name: c${i}`, '  cluster:', `    server: ${c.server ?? this.url}`, '    insecure-skip-tls-verify: true'));
    lines.push('users:', '- name: u', '  user:', `    token: ${JSON.stringify(this.options.token ?? 'fake-token')}`, 'contexts:');
    contexts.forEach((c, i) =>
      lines.push(
        `- name: ${JSON.stringify(c.name)}`,
        '  context:',
        `    cluster: c${i}`,
        '    user: u',
        ...(c.namespace ? [`    namespace: ${c.namespace}`] : []),
      ),
    );
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  // ---- state helpers (tests) ----

  addNode(n: FakeNodeSpec): void {
    const allocatable: Record<string, string> = { cpu: n.cpu ?? '8', memory: n.memory ?? '32Gi', pods: '110' };
    if (n.gpus !== undefined) allocatable['nvidia.com/gpu'] = String(n.gpus);
    Object.assign(allocatable, n.extendedResources);
    this.put('nodes', {
      metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, ...(n.labels ?? {}) } },
      spec: { ...(n.unschedulable ? { unschedulable: true } : {}), ...(n.taints ? { taints: n.taints } : {}) },
      status: {
        capacity: { ...allocatable },
        allocatable,
        conditions: [{ type: 'Ready', status: n.ready === false ? 'False' : 'True', reason: n.ready === false ? 'KubeletNotReady' : 'KubeletReady' }],
        addresses: [{ type: 'InternalIP', address: `10.0.0.${this.store.get('nodes')!.size + 1}` }],
      },
    });
  }

  pods(namespace?: string): Json[] {
    return [...this.store.get('pods')!.values()].filter((p) => !namespace || p.metadata.namespace === namespace);
  }

  services(namespace?: string): Json[] {
    return [...this.store.get('services')!.values()].filter((p) => !namespace || p.metadata.namespace === namespace);
  }

  persistentVolumeClaims(namespace?: string): Json[] {
    return [...this.store.get('persistentvolumeclaims')!.values()].filter((p) => !namespace || p.metadata.namespace === namespace);
  }

  pod(namespace: string, name: string): Json | undefined {
    return this.store.get('pods')!.get(`${namespace}/${name}`);
  }

  /** A namespaced ServiceAccount, Role or RoleBinding. */
  rbacObject(kind: 'serviceaccounts' | 'roles' | 'rolebindings', namespace: string, name: string): Json | undefined {
    return this.store.get(kind)!.get(`${namespace}/${name}`);
  }

  /** The pod's directory: the HOME and cwd of commands exec'd in it. */
  podDir(namespace: string, name: string): string {
    return path.join(this.root, namespace, name);
  }

  /** Creates a pod as another user of the cluster would (bypassing the provider). */
  addPod(pod: Json): Json {
    return this.createPod(pod.metadata.namespace ?? 'default', pod);
  }

  /** Changes a pod's phase as the kubelet would report it (e.g. 'Failed' after eviction). */
  setPodPhase(namespace: string, name: string, phase: string, reason?: string): void {
    const pod = this.pod(namespace, name);
    if (!pod) throw new Error(`no pod ${namespace}/${name}`);
    pod.status = { ...pod.status, phase, ...(reason ? { reason } : {}) };
    if (phase !== 'Running') this.killPodProcesses(namespace, name);
    this.modified('pods', pod);
  }

  /** Sets a container waiting reason (ErrImagePull, CrashLoopBackOff, ...). */
  setContainerWaiting(namespace: string, name: string, reason: string, message = ''): void {
    const pod = this.pod(namespace, name)!;
    pod.status.containerStatuses = (pod.spec.containers as Json[]).map((c) => ({
      name: c.name,
      ready: false,
      restartCount: 0,
      image: c.image,
      state: { waiting: { reason, message } },
    }));
    this.modified('pods', pod);
  }

  /** Removes a pod at once, as if deleted from outside (kubectl delete --force). */
  removePod(namespace: string, name: string): void {
    const pod = this.pod(namespace, name);
    if (!pod) return;
    this.killPodProcesses(namespace, name);
    this.store.get('pods')!.delete(`${namespace}/${name}`);
    this.releasePodDir(namespace, name);
    this.notify('pods', 'DELETED', { ...pod, metadata: { ...pod.metadata, resourceVersion: String(++this.rv) } });
  }

  /**
   * The kubelet's teardown of the pod's filesystem: its FUSE mounts are unmounted and the
   * directory deleted without crossing into any mount (./podDirs.ts), so a bucket mounted in
   * the pod keeps its objects; what the pod still runs is ended first. A new pod of the same
   * name owns the directory once it exists.
   */
  private releasePodDir(namespace: string, name: string): void {
    const dir = this.podDir(namespace, name);
    const removal = releasePodDir(dir, () => !this.pod(namespace, name))
      .then((left) => void this.leftMounts.push(...left))
      .catch((e: unknown) => void process.stderr.write(`fake kubernetes: ${(e as Error).message}\n`))
      .finally(() => this.dirRemovals.delete(removal));
    this.dirRemovals.add(removal);
  }

  /** Runs the scheduler on every unscheduled pod (after nodes changed, or with holdScheduling). */
  schedulePending(): void {
    this.options.holdScheduling = false;
    for (const pod of this.pods()) if (!pod.spec.nodeName && !pod.metadata.deletionTimestamp) this.schedule(pod);
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    for (const key of [...this.processes.keys()]) {
      const [ns, name] = key.split('/');
      this.killPodProcesses(ns, name);
    }
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.dirRemovals]);
    // What the pods still run (their agent daemons) ends first; mounts still under a pod
    // directory are unmounted and never entered (./podDirs.ts).
    this.leftMounts.push(...(await releasePodDir(this.root)));
  }

  // ---- storage and watch ----

  private key(obj: Json): string {
    return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
  }

  private put(kind: string, obj: Json): Json {
    obj.metadata.resourceVersion = String(++this.rv);
    obj.metadata.uid ??= `uid-${this.rv}-${Math.random().toString(16).slice(2, 10)}`;
    obj.metadata.creationTimestamp ??= new Date().toISOString();
    const isNew = !this.store.get(kind)!.has(this.key(obj));
    this.store.get(kind)!.set(this.key(obj), obj);
    this.notify(kind, isNew ? 'ADDED' : 'MODIFIED', obj);
    return obj;
  }

  private modified(kind: string, obj: Json): void {
    this.put(kind, obj);
  }

  private notify(kind: string, type: string, obj: Json): void {
    for (const w of this.watchers) {
      if (w.kind !== kind) continue;
      if (w.namespace && obj.metadata.namespace !== w.namespace) continue;
      if (!matchLabels(w.labelSelector, obj.metadata.labels) || !matchFields(w.fieldSelector, obj)) continue;
      w.res.write(`${JSON.stringify({ type, object: withKind(kind, obj) })}\n`);
    }
  }

  // ---- scheduler ----

  private used(nodeName: string): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const p of this.pods()) {
      if (p.spec.nodeName !== nodeName || ['Succeeded', 'Failed'].includes(p.status?.phase)) continue;
      for (const c of p.spec.containers ?? [])
        for (const [k, v] of Object.entries((c.resources?.requests ?? {}) as Record<string, string>)) sum[k] = (sum[k] ?? 0) + qty(v);
    }
    return sum;
  }

  private fits(pod: Json, node: Json): string | undefined {
    const labels = node.metadata.labels as Record<string, string>;
    // A pod whose claim does not exist waits, as the real scheduler makes it.
    for (const v of (pod.spec.volumes ?? []) as Json[]) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (claim && !this.store.get('persistentvolumeclaims')!.has(`${pod.metadata.namespace}/${claim}`)) return `persistentvolumeclaim "${claim}" not found`;
    }
    if (node.spec.unschedulable) return 'node(s) were unschedulable';
    if (node.status.conditions.find((c: Json) => c.type === 'Ready')?.status !== 'True')
      return 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }';
    for (const t of (node.spec.taints ?? []) as Json[]) {
      if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
      const ok = ((pod.spec.tolerations ?? []) as Json[]).some(
        (tol) =>
          (tol.key === undefined || tol.key === t.key) && (tol.operator === 'Exists' || tol.value === t.value) && (!tol.effect || tol.effect === t.effect),
      );
      if (!ok) return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
    }
    for (const [k, v] of Object.entries((pod.spec.nodeSelector ?? {}) as Record<string, string>))
      if (labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
    const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as Json[] | undefined;
    if (terms?.length) {
      const termOk = terms.some((t) =>
        ((t.matchExpressions ?? []) as Json[]).every((e) => {
          switch (e.operator) {
            case 'In':
              return e.values.includes(labels[e.key]);
            case 'NotIn':
              return !e.values.includes(labels[e.key]);
            case 'Exists':
              return e.key in labels;
            case 'DoesNotExist':
              return !(e.key in labels);
            default:
              return false;
          }
        }),
      );
      if (!termOk) return "node(s) didn't match Pod's node affinity/selector";
    }
    const used = this.used(node.metadata.name);
    const alloc = node.status.allocatable as Record<string, string>;
    for (const c of pod.spec.containers ?? []) {
      for (const [k, v] of Object.entries((c.resources?.requests ?? {}) as Record<string, string>)) {
        if ((used[k] ?? 0) + qty(v) > qty(alloc[k] ?? '0') + 1e-9) return `Insufficient ${k}`;
      }
    }
    return undefined;
  }

  private schedule(pod: Json): void {
    if (this.options.holdScheduling) return;
    const nodes = [...this.store.get('nodes')!.values()];
    const reasons = new Map<string, number>();
    const node = nodes.find((n) => {
      const why = this.fits(pod, n);
      if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
      return !why;
    });
    const now = new Date().toISOString();
    if (!node) {
      const detail = [...reasons.entries()].map(([r, n]) => `${n} ${r}`).join(', ');
      const message = `0/${nodes.length} nodes are available: ${detail}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} No preemption victims found for incoming pod.`;
      pod.status = {
        phase: 'Pending',
        qosClass: 'Burstable',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: now }],
      };
      this.modified('pods', pod);
      this.put('events', {
        metadata: { name: `${pod.metadata.name}.${this.rv.toString(16)}`, namespace: pod.metadata.namespace },
        involvedObject: { kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        reason: 'FailedScheduling',
        message,
        type: 'Warning',
        source: { component: 'default-scheduler' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      return;
    }
    pod.spec.nodeName = node.metadata.name;
    pod.status = {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: now }],
      hostIP: node.status.addresses[0].address,
    };
    this.modified('pods', pod);
    // The kubelet starts the containers in a later turn, as a real node would.
    setImmediate(() => {
      const cur = this.pod(pod.metadata.namespace, pod.metadata.name);
      if (!cur || cur.metadata.deletionTimestamp || cur.status.phase !== 'Pending') return;
      const bad = (cur.spec.containers as Json[]).find((c) => this.options.unpullableImages?.includes(c.image));
      if (bad) {
        cur.status.containerStatuses = (cur.spec.containers as Json[]).map((c) => ({
          name: c.name,
          image: c.image,
          ready: false,
          restartCount: 0,
          state: {
            waiting: { reason: 'ErrImagePull', message: `rpc error: code = NotFound desc = failed to pull and unpack image "${bad.image}": not found` },
          },
        }));
        this.modified('pods', cur);
        return;
      }
      fs.mkdirSync(this.podDir(cur.metadata.namespace, cur.metadata.name), { recursive: true });
      cur.status = {
        ...cur.status,
        phase: 'Running',
        podIP: `10.244.0.${this.ipSeq++}`,
        startTime: new Date().toISOString(),
        conditions: [
          ...cur.status.conditions,
          { type: 'Initialized', status: 'True' },
          { type: 'ContainersReady', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
        containerStatuses: (cur.spec.containers as Json[]).map((c) => ({
          name: c.name,
          image: c.image,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: new Date().toISOString() } },
        })),
      };
      this.modified('pods', cur);
    });
  }

  private createPod(namespace: string, body: Json): Json {
    const pod: Json = {
      apiVersion: 'v1',
      kind: 'Pod',
      ...body,
      metadata: { ...body.metadata, namespace },
      spec: { ...body.spec },
      status: { phase: 'Pending' },
    };
    delete pod.metadata.resourceVersion;
    this.put('pods', pod);
    setImmediate(() => {
      const cur = this.pod(namespace, pod.metadata.name);
      if (cur && !cur.spec.nodeName && !cur.metadata.deletionTimestamp) this.schedule(cur);
    });
    return pod;
  }

  private deletePod(namespace: string, name: string): Json | undefined {
    const pod = this.pod(namespace, name);
    if (!pod) return undefined;
    if (!pod.metadata.deletionTimestamp) {
      pod.metadata.deletionTimestamp = new Date().toISOString();
      pod.metadata.deletionGracePeriodSeconds = pod.spec.terminationGracePeriodSeconds ?? 30;
      this.modified('pods', pod);
      // Graceful termination takes a moment; then the object goes away.
      setImmediate(() => this.removePod(namespace, name));
    }
    return pod;
  }

  private killPodProcesses(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    for (const child of this.processes.get(key) ?? []) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.processes.delete(key);
  }

  // ---- HTTP ----

  private send(res: http.ServerResponse, code: number, body: Json): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private authorized(req: http.IncomingMessage): boolean {
    if (!this.options.token) return true;
    return req.headers.authorization === `Bearer ${this.options.token}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (!this.authorized(req)) return this.send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      try {
        this.route(req.method ?? 'GET', url, raw ? (JSON.parse(raw) as Json) : {}, res);
      } catch (e) {
        this.send(res, 500, status(500, 'InternalError', (e as Error).message));
      }
    });
  }

  private route(method: string, url: URL, body: Json, res: http.ServerResponse): void {
    const p = url.pathname.replace(/\/+$/, '');
    const q = url.searchParams;
    if (p === '/version') return this.send(res, 200, { major: '1', minor: '30', gitVersion: 'v1.30.0-fake', platform: 'linux/amd64' });
    if (p === '/api') return this.send(res, 200, { kind: 'APIVersions', versions: ['v1'] });
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/v1\/(nodes|namespaces)(?:\/([^/]+))?$/.exec(p))) {
      const [, kind, name] = m;
      if (kind === 'namespaces' && method === 'POST') {
        const rejected = validateNamespace(body);
        if (rejected) return this.reject(res, 'namespaces', body, rejected);
        if (this.store.get('namespaces')!.has(body.metadata.name))
          return this.send(res, 409, status(409, 'AlreadyExists', `namespaces "${body.metadata.name}" already exists`));
        this.put('serviceaccounts', { metadata: { name: 'default', namespace: body.metadata.name } });
        return this.send(res, 201, withKind('namespaces', this.put('namespaces', { ...body, status: { phase: 'Active' } })));
      }
      if (method !== 'GET') return this.send(res, 405, status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
      if (name) {
        const obj = this.store.get(kind)!.get(name);
        return obj ? this.send(res, 200, withKind(kind, obj)) : this.send(res, 404, status(404, 'NotFound', `${kind} "${name}" not found`, { name, kind }));
      }
      return this.list(kind, undefined, q, res);
    }
    if (p === '/api/v1/pods' || p === '/api/v1/services' || p === '/api/v1/events') {
      const kind = p.split('/')[3];
      if (kind === 'pods' && this.options.forbidClusterPodList) {
        return this.send(
          res,
          403,
          status(403, 'Forbidden', 'pods is forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope', { kind: 'pods' }),
        );
      }
      return this.list(kind, undefined, q, res);
    }
    if (
      (m = /^\/apis\/rbac\.authorization\.k8s\.io\/v1\/namespaces\/([^/]+)\/(roles|rolebindings)(?:\/([^/]+))?$/.exec(p)) ||
      (m = /^\/api\/v1\/namespaces\/([^/]+)\/(serviceaccounts)(?:\/([^/]+))?$/.exec(p))
    )
      return this.routeRbac(method, m[1], m[2], m[3] && decodeURIComponent(m[3]), body, q, res);
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|services|events|persistentvolumeclaims)(?:\/([^/]+))?$/.exec(p))) {
      const [, ns, kind, rawName] = m;
      const name = rawName && decodeURIComponent(rawName);
      if (!this.store.get('namespaces')!.has(ns) && method !== 'GET')
        return this.send(res, 404, status(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }));
      const coll = this.store.get(kind)!;
      if (!name) {
        if (method === 'GET') return this.list(kind, ns, q, res);
        if (method === 'POST') {
          const n = body.metadata?.name;
          const rejected =
            kind === 'pods'
              ? validatePod(body)
              : kind === 'services'
                ? validateService(body)
                : kind === 'persistentvolumeclaims'
                  ? validatePersistentVolumeClaim(body)
                  : undefined;
          if (rejected) return this.reject(res, kind, body, rejected);
          const forbidden = kind === 'pods' && this.options.podSecurity ? podSecurityViolations(body) : undefined;
          if (forbidden)
            return this.send(
              res,
              403,
              status(403, 'Forbidden', `pods "${n}" is forbidden: violates PodSecurity "baseline:latest": ${forbidden}`, { name: n, kind: 'pods' }),
            );
          if (coll.has(`${ns}/${n}`)) return this.send(res, 409, status(409, 'AlreadyExists', `${kind} "${n}" already exists`, { name: n, kind }));
          if (kind === 'pods') {
            const refused = this.admitServiceAccount(ns, body);
            if (refused) return this.send(res, 403, refused);
          }
          if (kind === 'pods') return this.send(res, 201, withKind(kind, this.createPod(ns, body)));
          if (kind === 'persistentvolumeclaims') return this.send(res, 201, withKind(kind, this.put(kind, this.makeClaim(ns, body))));
          return this.send(res, 201, withKind(kind, this.put(kind, this.makeService(ns, body))));
        }
        if (method === 'DELETE') {
          const victims = [...coll.values()].filter(
            (o) =>
              o.metadata.namespace === ns &&
              matchLabels(q.get('labelSelector') ?? undefined, o.metadata.labels) &&
              matchFields(q.get('fieldSelector') ?? undefined, o),
          );
          for (const v of victims) this.remove(kind, ns, v.metadata.name);
          return this.send(res, 200, {
            kind: `${kindName(kind)}List`,
            apiVersion: 'v1',
            metadata: { resourceVersion: String(this.rv) },
            items: victims.map((v) => withKind(kind, v)),
          });
        }
      } else {
        const obj = coll.get(`${ns}/${name}`);
        if (!obj) return this.send(res, 404, status(404, 'NotFound', `${kind} "${name}" not found`, { name, kind }));
        if (method === 'GET') return this.send(res, 200, withKind(kind, obj));
        if (method === 'DELETE') return this.send(res, 200, withKind(kind, this.remove(kind, ns, name) ?? obj));
        if (method === 'PUT' && kind === 'services') {
          const rejected = validateService(body);
          if (rejected) return this.reject(res, kind, body, rejected);
        }
        if (method === 'PUT' && kind === 'services') return this.send(res, 200, withKind(kind, this.put(kind, this.makeService(ns, body))));
      }
      return this.send(res, 405, status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    }
    this.send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  }

  /**
   * The ServiceAccount admission plugin: a pod runs as `default` unless it names an account,
   * and one naming an account its namespace lacks is refused (403) before it is stored.
   */
  private admitServiceAccount(ns: string, body: Json): Json | undefined {
    body.spec.serviceAccountName ??= 'default';
    const sa = body.spec.serviceAccountName as string;
    if (this.store.get('serviceaccounts')!.has(`${ns}/${sa}`)) return undefined;
    const name = body.metadata?.name;
    return status(403, 'Forbidden', `pods "${name}" is forbidden: error looking up service account ${ns}/${sa}: serviceaccount "${sa}" not found`, {
      name,
      kind: 'pods',
    });
  }

  /** core/v1 serviceaccounts and rbac.authorization.k8s.io/v1 roles, rolebindings: get, list, create, delete. */
  private routeRbac(method: string, ns: string, kind: string, name: string | undefined, body: Json, q: URLSearchParams, res: http.ServerResponse): void {
    if (!this.store.get('namespaces')!.has(ns) && method !== 'GET')
      return this.send(res, 404, status(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }));
    const coll = this.store.get(kind)!;
    if (!name && method === 'GET') return this.list(kind, ns, q, res);
    if (!name && method === 'POST') {
      if (kind !== 'serviceaccounts' && this.options.forbidRoleCreation)
        return this.send(
          res,
          403,
          status(
            403,
            'Forbidden',
            `${kind}.rbac.authorization.k8s.io is forbidden: User "u" cannot create resource "${kind}" in API group "rbac.authorization.k8s.io" in the namespace "${ns}"`,
            { kind },
          ),
        );
      const n = body.metadata?.name;
      const rejected = validateRbacObject(kind, body);
      if (rejected) return this.reject(res, kind, body, rejected);
      if (coll.has(`${ns}/${n}`)) return this.send(res, 409, status(409, 'AlreadyExists', `${kind} "${n}" already exists`, { name: n, kind }));
      return this.send(res, 201, withKind(kind, this.put(kind, { ...body, metadata: { ...body.metadata, namespace: ns } })));
    }
    const obj = name ? coll.get(`${ns}/${name}`) : undefined;
    if (name && !obj) return this.send(res, 404, status(404, 'NotFound', `${kind} "${name}" not found`, { name, kind }));
    if (name && method === 'GET') return this.send(res, 200, withKind(kind, obj!));
    if (name && method === 'DELETE') return this.send(res, 200, withKind(kind, this.remove(kind, ns, name) ?? obj!));
    this.send(res, 405, status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
  }

  private reject(res: http.ServerResponse, kind: string, body: Json, r: KubeRejection): void {
    const details = r.causes ? { name: body.metadata?.name, kind: kindName(kind), causes: r.causes } : undefined;
    this.send(res, r.code, status(r.code, r.reason, r.message, details));
  }

  private remove(kind: string, ns: string, name: string): Json | undefined {
    if (kind === 'pods') return this.deletePod(ns, name);
    const obj = this.store.get(kind)!.get(`${ns}/${name}`);
    if (!obj) return undefined;
    this.store.get(kind)!.delete(`${ns}/${name}`);
    this.notify(kind, 'DELETED', obj);
    return obj;
  }

  /** A claim binds at once (a default storage class with Immediate binding). */
  private makeClaim(ns: string, body: Json): Json {
    const claim: Json = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...body, metadata: { ...body.metadata, namespace: ns }, spec: { ...body.spec } };
    claim.spec.storageClassName ??= 'standard';
    claim.spec.volumeName = `pvc-${this.rv.toString(16)}-${String(body.metadata.name)}`.slice(0, 63);
    claim.status = { phase: 'Bound', accessModes: claim.spec.accessModes, capacity: { storage: claim.spec.resources.requests.storage } };
    return claim;
  }

  private makeService(ns: string, body: Json): Json {
    const svc: Json = { apiVersion: 'v1', kind: 'Service', ...body, metadata: { ...body.metadata, namespace: ns }, spec: { ...body.spec } };
    svc.spec.clusterIP ??= `10.96.0.${this.ipSeq++}`;
    if (svc.spec.type === 'NodePort' || svc.spec.type === 'LoadBalancer') {
      svc.spec.ports = (svc.spec.ports as Json[]).map((port) => ({ ...port, nodePort: port.nodePort ?? this.nodePortSeq++ }));
    }
    svc.status = svc.spec.type === 'LoadBalancer' ? { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } : { loadBalancer: {} };
    return svc;
  }

  private list(kind: string, ns: string | undefined, q: URLSearchParams, res: http.ServerResponse): void {
    const labelSelector = q.get('labelSelector') ?? undefined;
    const fieldSelector = q.get('fieldSelector') ?? undefined;
    const items = [...this.store.get(kind)!.values()].filter(
      (o) => (!ns || o.metadata.namespace === ns) && matchLabels(labelSelector, o.metadata.labels) && matchFields(fieldSelector, o),
    );
    const watch = q.get('watch');
    if (watch === 'true' || watch === '1') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const w: Watcher = { kind, namespace: ns, labelSelector, fieldSelector, res };
      // Without a resourceVersion a watch starts with ADDED for everything that exists.
      const from = q.get('resourceVersion');
      if (!from || from === '0') for (const o of items) res.write(`${JSON.stringify({ type: 'ADDED', object: withKind(kind, o) })}\n`);
      else if (Number(from) < this.rv && items.some((o) => Number(o.metadata.resourceVersion) > Number(from))) {
        // Changes between the list and the watch: replay what is newer.
        for (const o of items)
          if (Number(o.metadata.resourceVersion) > Number(from)) res.write(`${JSON.stringify({ type: 'MODIFIED', object: withKind(kind, o) })}\n`);
      }
      this.watchers.add(w);
      res.on('close', () => this.watchers.delete(w));
      return;
    }
    const limit = Number(q.get('limit') ?? 0);
    this.send(res, 200, {
      kind: `${kindName(kind)}List`,
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.rv) },
      items: (limit > 0 ? items.slice(0, limit) : items).map((o) => withKind(kind, o)),
    });
  }

  // ---- exec ----

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`UPGRADE ${url.pathname}${url.search}`);
    const reject = (code: number, s: Json): void => {
      const body = JSON.stringify(s);
      socket.end(
        `HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    };
    if (!this.authorized(req)) return reject(401, status(401, 'Unauthorized', 'Unauthorized'));
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (!m) return reject(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const [ns, name] = [m[1], decodeURIComponent(m[2])];
    const pod = this.pod(ns, name);
    if (!pod) return reject(404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
    if (pod.status.phase !== 'Running' || pod.metadata.deletionTimestamp)
      return reject(400, status(400, 'BadRequest', `pod ${name} is not running (phase ${pod.status.phase})`));
    const command = url.searchParams.getAll('command');
    const container = url.searchParams.get('container') ?? pod.spec.containers[0].name;
    if (!(pod.spec.containers as Json[]).some((c) => c.name === container))
      return reject(400, status(400, 'BadRequest', `container ${container} is not valid for pod ${name}`));
    this.wss.handleUpgrade(req, socket, head, (ws) => this.runExec(ws, ns, name, container, command, url.searchParams.get('stdin') === 'true'));
  }

  private runExec(ws: WsLike, ns: string, podName: string, container: string, command: string[], withStdin: boolean): void {
    this.execs.push({ namespace: ns, pod: podName, container, command, protocol: ws.protocol });
    const frame = (ch: number, data: Buffer | string): Buffer => Buffer.concat([Buffer.from([ch]), Buffer.isBuffer(data) ? data : Buffer.from(data)]);
    const finish = (s: Json): void => {
      ws.send(frame(3, JSON.stringify(s)));
      ws.close(1000);
    };
    if (command.length === 0) return finish(status(400, 'BadRequest', 'you must specify at least one command for the container'));
    const dir = this.podDir(ns, podName);
    fs.mkdirSync(dir, { recursive: true });
    const pod = this.pod(ns, podName)!;
    const podEnv: Record<string, string> = {};
    for (const c of pod.spec.containers as Json[]) if (c.name === container) for (const e of (c.env ?? []) as Json[]) podEnv[e.name] = e.value ?? '';
    const child = spawn(command[0], command.slice(1), {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, HOSTNAME: podName, ...podEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const key = `${ns}/${podName}`;
    if (!this.processes.has(key)) this.processes.set(key, new Set());
    this.processes.get(key)!.add(child);
    let done = false;
    const once = (s: Json): void => {
      if (done) return;
      done = true;
      this.processes.get(key)?.delete(child);
      finish(s);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      const msg = e.code === 'ENOENT' ? `exec: "${command[0]}": executable file not found in $PATH` : e.message;
      once({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `OCI runtime exec failed: ${msg}: unknown`,
        reason: 'InternalError',
        code: 500,
      });
    });
    child.stdout!.on('data', (d: Buffer) => ws.send(frame(1, d)));
    child.stderr!.on('data', (d: Buffer) => ws.send(frame(2, d)));
    child.stdin!.on('error', () => undefined);
    if (!withStdin) child.stdin!.end();
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      if (data[0] === 0) child.stdin!.write(data.subarray(1));
      else if (data[0] === 255 && data[1] === 0) child.stdin!.end();
    });
    // v4 has no close frame: a client closing the socket ends the session.
    ws.on('close', () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    });
    child.on('close', (code, signal) => {
      const exit = code ?? 128 + (signal ? (os.constants.signals[signal] ?? 9) : 9);
      if (exit === 0) return once({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
      once({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exit}`,
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: String(exit) }] },
      });
    });
  }
}

/** Capabilities the baseline Pod Security Standard lets a container add. */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** What of the baseline Pod Security Standard a pod violates, worded as the admission controller words it; undefined if nothing. */
function podSecurityViolations(pod: Json): string | undefined {
  const out: string[] = [];
  const containers = (pod.spec?.containers ?? []) as Json[];
  const privileged = containers.filter((c) => c.securityContext?.privileged === true).map((c) => `"${String(c.name)}"`);
  if (privileged.length) out.push(`privileged (container ${privileged.join(', ')} must not set securityContext.privileged=true)`);
  for (const c of containers) {
    const extra = ((c.securityContext?.capabilities?.add ?? []) as string[]).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    if (extra.length)
      out.push(
        `non-default capabilities (container "${String(c.name)}" must not include ${extra.map((x) => `"${x}"`).join(', ')} in securityContext.capabilities.add)`,
      );
  }
  for (const [k, v] of Object.entries((pod.metadata?.annotations ?? {}) as Record<string, string>))
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v === 'unconfined')
      out.push(`forbidden AppArmor profile (annotation "${k}"="${v}")`);
  return out.length ? out.join(', ') : undefined;
}

function kindName(kind: string): string {
  return (
    {
      pods: 'Pod',
      nodes: 'Node',
      namespaces: 'Namespace',
      services: 'Service',
      events: 'Event',
      persistentvolumeclaims: 'PersistentVolumeClaim',
      serviceaccounts: 'ServiceAccount',
      roles: 'Role',
      rolebindings: 'RoleBinding',
    }[kind] ?? kind
  );
}

/** Kinds of the service account set-up (`remote_identity`): core/v1 serviceaccounts and RBAC's namespaced roles and bindings. */
const RBAC_KINDS = ['serviceaccounts', 'roles', 'rolebindings'];

function withKind(kind: string, obj: Json): Json {
  return { apiVersion: kind === 'roles' || kind === 'rolebindings' ? 'rbac.authorization.k8s.io/v1' : 'v1', kind: kindName(kind), ...obj };
}

/** What the API server checks of these objects: a DNS-1123 subdomain name; a binding's roleRef and subjects. */
function validateRbacObject(kind: string, body: Json): KubeRejection | undefined {
  const name = body.metadata?.name;
  const causes: { reason: string; message: string; field: string }[] = [];
  if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name))
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain`, field: 'metadata.name' });
  if (kind === 'rolebindings') {
    if (!body.roleRef?.name || !['Role', 'ClusterRole'].includes(body.roleRef?.kind))
      causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'roleRef' });
    for (const [i, sub] of ((body.subjects ?? []) as Json[]).entries())
      if (!sub.name || !sub.kind) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `subjects[${i}]` });
  }
  if (kind === 'roles' && !Array.isArray(body.rules)) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'rules' });
  if (!causes.length) return undefined;
  return {
    code: 422,
    reason: 'Invalid',
    message: `${kindName(kind)} "${String(name)}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
    causes,
  };
}
