#!/usr/bin/env bash
# Installs moto (the EC2 API emulator the AWS provider tests run against) into .tools/moto,
# as reference/test-infrastructure.md section 4 describes: bookworm has no python3-moto, so
# the pure-Python trixie .deb is fetched with a separate apt lists dir (the system's sources
# stay untouched), extracted, and run with bookworm's /usr/bin/python3 and its dependencies.
# Idempotent: does nothing when moto already imports.
set -euo pipefail
cd "$(dirname "$0")/../.."
M="$PWD/.tools/moto"
PY=/usr/bin/python3
SITE="$M/root/usr/lib/python3/dist-packages"

moto_works() {
  [ -d "$SITE/moto" ] && PYTHONPATH="$SITE" "$PY" -c 'import moto.server, moto.ec2' >/dev/null 2>&1
}
if moto_works; then
  echo "moto: already installed in $M"
  exit 0
fi

DEPS=(python3-boto3 python3-botocore python3-responses python3-werkzeug python3-flask python3-flask-cors
  python3-xmltodict python3-jinja2 python3-dateutil python3-cryptography python3-requests python3-yaml python3-antlr4)
missing=()
for p in "${DEPS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "moto: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >/dev/null || {
    apt-get -o DPkg::Lock::Timeout=600 update >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >/dev/null
  }
fi

mkdir -p "$M/lists/partial"
# The machine's own Debian mirror, so no other host is contacted.
URI=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
URI=${URI:-http://deb.debian.org/debian}
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $URI trixie main" > "$M/sources.list"
APTO=(-o "Dir::Etc::sourcelist=$M/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$M/lists" -o APT::Get::List-Cleanup=0)
if ! ls "$M"/python3-moto_*_all.deb >/dev/null 2>&1; then
  apt-get "${APTO[@]}" update >/dev/null
  # apt's note about downloading as root ("unsandboxed") is noise here; a failed download is
  # caught by the check below.
  (
    cd "$M"
    apt-get "${APTO[@]}" download python3-moto 2>&1 | grep -v 'unsandboxed' || true
  )
fi
debs=("$M"/python3-moto_*_all.deb)
deb=${debs[0]}
[ -f "$deb" ] || { echo "moto: python3-moto could not be downloaded from Debian trixie" >&2; exit 1; }
rm -rf "$M/root"
dpkg-deb -x "$deb" "$M/root"
if moto_works; then
  echo "moto: installed $(basename "$deb") into $M"
else
  echo "moto: installed but 'import moto.server' fails with $PY" >&2
  exit 1
fi
