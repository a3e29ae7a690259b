/**
 * "Set Up…" on a disabled Infra row: the one step that enables that infra, done in VS Code
 * (a terminal running the cloud's own login, or the node pools file opened), then a re-check.
 * SkyDeck never asks for or stores the credentials itself: each cloud's CLI writes them where
 * the provider's detection (engine/infra/<p>/detect.ts) reads them.
 */
export interface SetUpStep {
  /** What the user is about to do, for the confirmation. */
  title: string;
  /** A command to run in a terminal (the cloud's own login). */
  terminal?: string;
  /** A file to open (created with `template` when missing). */
  file?: string;
  template?: string;
  /** Where the cloud documents it. */
  docs: string;
}

/** SkyPilot's ssh_node_pools.yaml format, as a starting point. */
const NODE_POOLS_TEMPLATE = `# SSH node pools: each pool is a set of machines SkyDeck can launch on (infra: ssh/<pool>).
my-pool:
  user: ubuntu
  identity_file: ~/.ssh/id_rsa
  hosts:
    - 192.168.1.10
`;

export function setUpStep(infra: string, nodePoolsFile: string): SetUpStep | undefined {
  const cloud = infra.split('/')[0];
  switch (cloud) {
    case 'aws':
      return {
        title: 'Sign in to AWS (aws configure)',
        terminal: 'aws configure',
        docs: 'https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-quickstart.html',
      };
    case 'gcp':
      return {
        title: 'Sign in to Google Cloud (application default credentials)',
        terminal: 'gcloud auth application-default login && gcloud config set project',
        docs: 'https://cloud.google.com/docs/authentication/provide-credentials-adc',
      };
    case 'azure':
      return { title: 'Sign in to Azure (az login)', terminal: 'az login', docs: 'https://learn.microsoft.com/cli/azure/authenticate-azure-cli' };
    case 'kubernetes':
    case 'k8s':
      return {
        title: 'Choose a kubeconfig context (kubectl config use-context)',
        terminal: 'kubectl config get-contexts && kubectl config use-context',
        docs: 'https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/',
      };
    case 'ssh':
      return {
        title: `Add your machines to ${nodePoolsFile}`,
        file: nodePoolsFile,
        template: NODE_POOLS_TEMPLATE,
        docs: 'https://docs.skypilot.co/en/latest/reservations/existing-machines.html',
      };
    default:
      return undefined;
  }
}
