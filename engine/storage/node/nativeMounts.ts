/**
 * MOUNT on the VM clouds with the store's own FUSE tool, as SkyPilot's storage mounts do
 * (sky/data/mounting_utils.py): goofys for S3 and R2, gcsfuse for GCS, blobfuse2 for Azure,
 * each installed at SkyPilot's release when missing. MOUNT_CACHED and COPY stay rclone's
 * (./commands.ts), as do local and SSH nodes. goofys has no arm64 build: there S3 mounts fall
 * back to rclone, as SkyPilot's do. Credentials reach the tool only as its process's
 * environment (nativeMountEnv), never the script text.
 */
import { shellQuote, shellQuoteRemotePath } from '../../node/quote';
import type { RcloneRemote, StoreKind } from '../stores/types';
import { MISSING_TOOL_EXIT, MISSING_TOOL_MARK, mountScript, type MountMode, type NodeMount } from './commands';

export type NativeMountTool = 'goofys' | 'gcsfuse' | 'blobfuse2';

/** SkyPilot's goofys build (its fork with upstream fixes) and the gcsfuse / blobfuse2 releases it pins. */
export const GOOFYS_URL = 'https://github.com/aylei/goofys/releases/download/0.24.0-aylei-upstream/goofys';
export const GCSFUSE_VERSION = '2.2.0';
export const BLOBFUSE2_VERSION = '2.2.0';

/** SkyPilot's cache settings for the FUSE tools. */
const STAT_CACHE_TTL = '5s';
const TYPE_CACHE_TTL = '5s';
const STAT_CACHE_CAPACITY = 4096;
const RENAME_DIR_LIMIT = 10000;

const VM_CLOUDS = ['aws', 'gcp', 'azure'];

/** The tool a mount uses on a node of `cloud`; undefined when rclone does it. */
export function nativeMountTool(store: StoreKind, mode: MountMode, cloud: string): NativeMountTool | undefined {
  if (mode !== 'MOUNT' || !VM_CLOUDS.includes(cloud)) return undefined;
  if (store === 's3' || store === 'r2') return 'goofys';
  if (store === 'gcs') return 'gcsfuse';
  if (store === 'azure') return 'blobfuse2';
  return undefined;
}

const PRELUDE = ['set -e', 'SUDO=; [ "$(id -u)" = 0 ] || SUDO="sudo -n"', 'ARCH=$(uname -m)'];

const missing = (what: string) => `{ echo "${MISSING_TOOL_MARK} ${what}" >&2; exit ${MISSING_TOOL_EXIT}; }`;

/** Installs the tool when missing (idempotent). */
export function nativeInstallScript(tool: NativeMountTool): string {
  switch (tool) {
    case 'goofys':
      return [
        ...PRELUDE,
        // arm64 mounts S3 with rclone (installed with the other tools); goofys is x86_64 only.
        'case "$ARCH" in aarch64|arm64) exit 0 ;; esac',
        'command -v goofys >/dev/null 2>&1 && exit 0',
        `$SUDO curl -fsSL -o /usr/local/bin/goofys ${GOOFYS_URL} || ${missing('goofys (download failed)')}`,
        '$SUDO chmod 755 /usr/local/bin/goofys',
        // goofys calls fusermount; fuse3 images only have fusermount3.
        'command -v fusermount >/dev/null 2>&1 || { F3=$(command -v fusermount3) && $SUDO ln -sf "$F3" /usr/local/bin/fusermount; } || true',
      ].join('\n');
    case 'gcsfuse':
      return [
        ...PRELUDE,
        'command -v gcsfuse >/dev/null 2>&1 && exit 0',
        'case "$ARCH" in aarch64|arm64) SUFFIX=arm64 ;; *) SUFFIX=amd64 ;; esac',
        `command -v dpkg >/dev/null 2>&1 || ${missing('gcsfuse (no dpkg on this node to install it with)')}`,
        `curl -fsSL -o /tmp/skydeck-gcsfuse.deb "https://github.com/GoogleCloudPlatform/gcsfuse/releases/download/v${GCSFUSE_VERSION}/gcsfuse_${GCSFUSE_VERSION}_\${SUFFIX}.deb" || ${missing('gcsfuse (download failed)')}`,
        '$SUDO dpkg --install /tmp/skydeck-gcsfuse.deb >/dev/null && rm -f /tmp/skydeck-gcsfuse.deb',
      ].join('\n');
    case 'blobfuse2':
      return [
        ...PRELUDE,
        'command -v blobfuse2 >/dev/null 2>&1 && exit 0',
        `case "$ARCH" in aarch64|arm64) ${missing('blobfuse2 (not built for $ARCH)')} ;; esac`,
        `command -v apt-get >/dev/null 2>&1 || ${missing('blobfuse2 (no apt-get on this node to install it with)')}`,
        '$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
        '$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fuse3 libfuse3-3 >/dev/null',
        `curl -fsSL -o /tmp/skydeck-blobfuse2.deb "https://github.com/Azure/azure-storage-fuse/releases/download/blobfuse2-${BLOBFUSE2_VERSION}/blobfuse2-${BLOBFUSE2_VERSION}-Debian-11.0.x86_64.deb" || ${missing('blobfuse2 (download failed)')}`,
        '$SUDO dpkg --install /tmp/skydeck-blobfuse2.deb >/dev/null && rm -f /tmp/skydeck-blobfuse2.deb',
      ].join('\n');
  }
}

/** The tool's credentials and endpoint as its own environment variables, from the store's rclone settings. */
export function nativeMountEnv(tool: NativeMountTool, remote: RcloneRemote): Record<string, string> {
  const s = remote.settings;
  const env: Record<string, string> = {};
  if (tool === 'goofys') {
    if (s.access_key_id) env.AWS_ACCESS_KEY_ID = s.access_key_id;
    if (s.secret_access_key) env.AWS_SECRET_ACCESS_KEY = s.secret_access_key;
    if (s.session_token) env.AWS_SESSION_TOKEN = s.session_token;
    if (s.region) env.AWS_REGION = s.region;
  } else if (tool === 'blobfuse2') {
    if (s.account) env.AZURE_STORAGE_ACCOUNT = s.account;
    if (s.key) {
      env.AZURE_STORAGE_ACCESS_KEY = s.key;
      env.AZURE_STORAGE_AUTH_TYPE = 'Key';
    } else if (s.sas_url) {
      const url = new URL(s.sas_url);
      env.AZURE_STORAGE_ACCOUNT = url.hostname.split('.')[0];
      env.AZURE_STORAGE_SAS_TOKEN = url.search.replace(/^\?/, '');
      env.AZURE_STORAGE_AUTH_TYPE = 'SAS';
    }
  }
  // gcsfuse authenticates as the VM's service account, as SkyPilot's GCS mounts do.
  return env;
}

export interface NativeMount extends NodeMount {
  bucket: string;
  prefix: string;
  /** S3-compatible endpoint (R2, MinIO...), GCS custom endpoint. */
  endpoint?: string;
}

/** Brings one MOUNT up with the tool (idempotent: a live mount is kept, a dead one replaced). */
export function nativeMountScript(tool: NativeMountTool, m: NativeMount): string {
  const dir = m.mountDir ? shellQuote(m.mountDir) : shellQuoteRemotePath(m.dst);
  const state = shellQuoteRemotePath(m.stateDir);
  const log = `${state}/${tool}.log`;
  const endpoint = m.endpoint ? shellQuote(m.endpoint) : undefined;
  let command: string;
  if (tool === 'goofys') {
    const source = shellQuote(m.prefix ? `${m.bucket}:${m.prefix}` : m.bucket);
    command = [
      'goofys -o allow_other',
      `--stat-cache-ttl ${STAT_CACHE_TTL} --type-cache-ttl ${TYPE_CACHE_TTL}`,
      endpoint ? `--endpoint ${endpoint}` : '',
      `--log-file ${log}`,
      `${source} ${dir}`,
    ]
      .filter(Boolean)
      .join(' ');
  } else if (tool === 'gcsfuse') {
    command = [
      `gcsfuse --log-file ${log} --debug_fuse_errors -o allow_other --implicit-dirs`,
      `--stat-cache-capacity ${STAT_CACHE_CAPACITY} --stat-cache-ttl ${STAT_CACHE_TTL} --type-cache-ttl ${TYPE_CACHE_TTL}`,
      `--rename-dir-limit ${RENAME_DIR_LIMIT}`,
      m.prefix ? `--only-dir ${shellQuote(m.prefix)}` : '',
      endpoint ? `--custom-endpoint ${endpoint}` : '',
      `${shellQuote(m.bucket)} ${dir}`,
    ]
      .filter(Boolean)
      .join(' ');
  } else {
    command = [
      `blobfuse2 mount ${dir} --container-name ${shellQuote(m.bucket)}`,
      m.prefix ? `--subdirectory=${shellQuote(`${m.prefix}/`)}` : '',
      // A fresh cache directory per boot: blobfuse2 refuses a non-empty one after a stop/start.
      `--tmp-path ${state}/blobfuse2-cache-$(date +%s -d "$(uptime -s)")`,
      '--no-symlinks -o allow_other -o default_permissions',
    ]
      .filter(Boolean)
      .join(' ');
  }
  const mount = [
    'set -e',
    `mkdir -p ${state}`,
    `if mountpoint -q ${dir} 2>/dev/null; then exit 0; fi`,
    `{ fusermount3 -uz ${dir} 2>/dev/null || fusermount -uz ${dir} 2>/dev/null || true; }`,
    `mkdir -p ${dir}`,
    `${command} </dev/null >/dev/null 2>&1 || { echo "${tool} mount of ${m.remotePath} on ${m.dst} failed:" >&2; tail -n 20 ${log} >&2 2>/dev/null; exit 1; }`,
  ];
  if (m.mountDir) mount.push(`mkdir -p "$(dirname ${shellQuoteRemotePath(m.dst)})"`, `ln -sfn ${dir} ${shellQuoteRemotePath(m.dst)}`);
  if (tool !== 'goofys') return mount.join('\n');
  // No goofys for arm64: rclone mounts it there, as SkyPilot does.
  return ['case "$(uname -m)" in aarch64|arm64)', mountScript(m), ';;', '*)', ...mount, ';;', 'esac'].join('\n');
}
