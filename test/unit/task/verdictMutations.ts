// Named alterations of real tasks, each with the verdict SkyPilot gives the altered file
// (skypilot-behavior.md; confirmed with SkyPilot's own loader, answers recorded in
// fixtures/verdicts/skypilot-verdicts.json). Applied only to single-document tasks SkyPilot
// accepts as they are, so the verdict is the alteration's.
import { isMap, isScalar, parseDocument, type Document } from 'yaml';

export interface Expectation {
  verdict: 'accept' | 'reject';
  /** For rejects: a substring of SkyDeck's error message. */
  message?: string;
}

export interface Mutation {
  name: string;
  expect: Expectation;
  /** The altered text, or undefined when the mutation does not apply to this task. */
  apply(text: string): string | undefined;
}

type Doc = Document.Parsed;

function edit(text: string, fn: (doc: Doc) => boolean): string | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length || !isMap(doc.contents)) return undefined;
  return fn(doc) ? String(doc) : undefined;
}

const has = (doc: Doc, path: string[]) => doc.hasIn(path);
const isSingleResources = (doc: Doc) => !has(doc, ['resources', 'any_of']) && !has(doc, ['resources', 'ordered']);
const resourcesMap = (doc: Doc) => {
  const r = doc.getIn(['resources']);
  if (r === undefined || r === null) {
    doc.setIn(['resources'], doc.createNode({}));
    return true;
  }
  return isMap(r);
};

function pinCloud(doc: Doc, infra: string): void {
  for (const k of ['cloud', 'region', 'zone', 'instance_type']) doc.deleteIn(['resources', k]);
  doc.setIn(['resources', 'infra'], infra);
}

export const mutations: Mutation[] = [
  {
    name: 'replica-policy-min-max-without-qps',
    expect: { verdict: 'reject', message: 'To enable autoscaling' },
    apply: (t) =>
      edit(t, (d) => {
        if (!isMap(d.getIn(['service'])) || has(d, ['service', 'pool'])) return false;
        d.deleteIn(['service', 'replicas']);
        d.setIn(['service', 'replica_policy'], d.createNode({ min_replicas: 1, max_replicas: 3 }));
        return true;
      }),
  },
  {
    name: 'service-two-resource-ports',
    expect: { verdict: 'reject', message: 'exactly one replica port' },
    apply: (t) =>
      edit(t, (d) => {
        if (!isMap(d.getIn(['service'])) || has(d, ['service', 'pool']) || !isSingleResources(d) || !resourcesMap(d)) return false;
        d.deleteIn(['service', 'ports']);
        d.setIn(['resources', 'ports'], d.createNode([8080, 8081]));
        return true;
      }),
  },
  {
    name: 'service-mixed-spot-any-of',
    expect: { verdict: 'reject', message: 'spot' },
    apply: (t) =>
      edit(t, (d) => {
        if (!isMap(d.getIn(['service'])) || has(d, ['service', 'pool']) || !isSingleResources(d) || !resourcesMap(d)) return false;
        d.deleteIn(['resources', 'use_spot']);
        d.setIn(['resources', 'any_of'], d.createNode([{ use_spot: true }, { use_spot: false }]));
        return true;
      }),
  },
  {
    name: 'setup-as-list',
    expect: { verdict: 'reject', message: 'setup' },
    apply: (t) =>
      edit(t, (d) => {
        const s = d.get('setup');
        if (typeof s !== 'string' || !s.trim()) return false;
        d.set('setup', d.createNode(s.split('\n').filter((l) => l.trim())));
        return true;
      }),
  },
  {
    name: 'envs-list-value',
    expect: { verdict: 'accept' },
    apply: (t) =>
      edit(t, (d) => {
        const e = d.get('envs');
        if (e !== undefined && !isMap(e)) return false;
        d.setIn(['envs', 'SKYDECK_LIST'], d.createNode([1, 2]));
        return true;
      }),
  },
  {
    name: 'cpus-signed',
    expect: { verdict: 'accept' },
    apply: (t) =>
      edit(t, (d) => {
        if (!isSingleResources(d) || !resourcesMap(d) || has(d, ['resources', 'instance_type'])) return false;
        d.setIn(['resources', 'cpus'], '+2');
        return true;
      }),
  },
  {
    name: 'tpu-on-aws',
    expect: { verdict: 'reject', message: 'only on GCP or Kubernetes' },
    apply: (t) =>
      edit(t, (d) => {
        if (!isSingleResources(d) || !resourcesMap(d)) return false;
        pinCloud(d, 'aws');
        d.deleteIn(['resources', 'gpus']);
        d.setIn(['resources', 'accelerators'], 'tpu-v4-8');
        return true;
      }),
  },
  {
    name: 'ephemeral-storage-on-aws',
    expect: { verdict: 'reject', message: 'ephemeral_storage is only supported on Kubernetes' },
    apply: (t) =>
      edit(t, (d) => {
        if (!isSingleResources(d) || !resourcesMap(d)) return false;
        const acc = d.getIn(['resources', 'accelerators']) ?? d.getIn(['resources', 'gpus']);
        if (acc !== undefined && /tpu/i.test(JSON.stringify(acc))) return false;
        pinCloud(d, 'aws');
        d.setIn(['resources', 'ephemeral_storage'], 100);
        return true;
      }),
  },
  {
    name: 'bucket-source-trailing-slash',
    expect: { verdict: 'reject', message: 'cannot end with' },
    apply: (t) =>
      edit(t, (d) => {
        const fm = d.get('file_mounts');
        if (!isMap(fm)) return false;
        const item = fm.items.find((p) => isScalar(p.value) && typeof p.value.value === 'string' && /^(s3|gs|r2):\/\/[^$]+[^/]$/.test(p.value.value));
        if (!item || !isScalar(item.value)) return false;
        item.value.value = `${String(item.value.value)}/`;
        return true;
      }),
  },
  {
    name: 'file-mount-without-source',
    expect: { verdict: 'reject', message: 'needs a source' },
    apply: (t) =>
      edit(t, (d) => {
        const fm = d.get('file_mounts');
        if (fm !== undefined && !isMap(fm)) return false;
        d.setIn(['file_mounts', '/skydeck-empty'], null);
        return true;
      }),
  },
  {
    name: 'idle-minutes-time-string',
    expect: { verdict: 'reject', message: 'idle_minutes' },
    apply: (t) =>
      edit(t, (d) => {
        if (!isSingleResources(d) || !resourcesMap(d)) return false;
        d.setIn(['resources', 'autostop'], d.createNode({ idle_minutes: '30m' }));
        return true;
      }),
  },
  {
    name: 'memory-ratio-and-plus',
    expect: { verdict: 'reject', message: 'memory' },
    apply: (t) =>
      edit(t, (d) => {
        if (!isSingleResources(d) || !resourcesMap(d)) return false;
        d.setIn(['resources', 'memory'], '4x+');
        return true;
      }),
  },
  {
    name: 'num-nodes-quoted',
    expect: { verdict: 'reject', message: 'a string' },
    apply: (t) =>
      edit(t, (d) => {
        d.set('num_nodes', '2');
        return true;
      }),
  },
  {
    name: 'envs-null',
    expect: { verdict: 'reject', message: 'envs' },
    apply: (t) =>
      edit(t, (d) => {
        d.set('envs', null);
        return true;
      }),
  },
  {
    name: 'managed-secret-reference-with-value',
    expect: { verdict: 'reject', message: 'cannot have a value' },
    apply: (t) =>
      edit(t, (d) => {
        const s = d.get('secrets');
        if (s !== undefined && !isMap(s)) return false;
        d.setIn(['secrets', 'secrets:SKYDECK_TOKEN'], 'inline-value');
        return true;
      }),
  },
  {
    name: 'pipeline-header-unknown-execution',
    expect: { verdict: 'reject', message: 'Invalid execution mode' },
    apply: (t) => (edit(t, () => true) === undefined ? undefined : `name: pipe\nexecution: sequential\n---\n${t}`),
  },
  {
    name: 'job-group-duplicate-job-names',
    expect: { verdict: 'reject', message: 'Duplicate job name' },
    apply: (t) => {
      const job = edit(t, (d) => {
        d.set('name', 'worker');
        return true;
      });
      return job === undefined ? undefined : `name: group\nexecution: parallel\n---\n${job}---\n${job}`;
    },
  },
];
