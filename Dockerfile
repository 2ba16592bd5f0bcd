# One image for every role (DESIGN 11): `ingress-ledger up | ledger | collector | witness | <client command>`.
#
#   docker build -t ingress-ledger .
#   docker run --rm --read-only -v il-data:/data ingress-ledger witness --data-dir /data ...
#
# docs/operations.md ("The container image") shows every role, and how this was built and tested.
#
# BASE_IMAGE must be a Debian bookworm image with Node.js 22 in /usr/local (node, npm, and the headers
# in /usr/local/include/node), as the official image has them. scripts/build-image.sh builds this same
# file against such a base made locally, for machines that cannot reach a container registry.
ARG BASE_IMAGE=node:22-bookworm-slim

# ---- build: native addons, TypeScript, then production dependencies only --------------------------
FROM ${BASE_IMAGE} AS build
# python3, make and g++ are for node-gyp (better-sqlite3); nats-server is taken from here into the
# runtime image, so that `ingress-ledger up` works inside a container.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ nats-server \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# For a build machine behind a TLS-inspecting proxy: a CA bundle (mounted into the build) that npm
# should trust. A build argument, so it stays out of every image layer.
ARG NPM_CONFIG_CAFILE
# better-sqlite3 is compiled here against the base's own Node headers instead of downloading a
# prebuilt binary: the build downloads nothing beyond Debian's and npm's packages, and the addon
# matches the runtime's Node exactly. sodium-native ships prebuilt binaries inside its npm package.
ENV npm_config_nodedir=/usr/local \
    npm_config_build_from_source=true \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
COPY package.json package-lock.json ./
# Dependencies first (a cached layer while only sources change); no lifecycle scripts yet, because
# `prepare` compiles sources that are not copied in yet. Then the one addon that must be compiled.
RUN npm ci --ignore-scripts \
 && npm rebuild better-sqlite3 \
 && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"
COPY tsconfig.json ./
COPY scripts/build-console.mjs ./scripts/
COPY bin ./bin
COPY packages ./packages
COPY services ./services
COPY test ./test
# `npm run build` compiles the TypeScript and bundles the web console into dist/console (esbuild is a
# dev dependency, so it runs before the prune). Then only what runs: production dependencies, no
# compiled tests or test support (test/import-graph.test.ts checks that nothing in production
# imports them), no build leftovers, and
# sodium-native's prebuilt binary for this platform only (it ships one per platform).
RUN npm run build \
 && npm prune --omit=dev \
 && rm -rf dist/test dist/loadtest \
 && find dist \( -name '*.test.js' -o -name '*.test.js.map' -o -name 'testing.js' -o -name 'testing.js.map' \) -delete \
 && find dist -type d -name testing -prune -exec rm -rf {} + \
 && rm -rf node_modules/better-sqlite3/build/Release/obj* node_modules/better-sqlite3/build/Release/*.a \
      node_modules/better-sqlite3/build/Release/test_extension.node node_modules/better-sqlite3/deps \
      node_modules/better-sqlite3/src node_modules/.package-lock.json \
 && find node_modules/sodium-native/prebuilds -mindepth 1 -maxdepth 1 \
      ! -name "linux-$(node -p process.arch)" -exec rm -rf {} +

# ---- runtime: Node and the app; no compiler, no package manager ----------------------------------
FROM ${BASE_IMAGE} AS runtime
# Declared again to be visible inside this stage (for the label).
ARG BASE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="ingress-ledger" \
      org.opencontainers.image.description="Tamper-evident, witnessed transparency log of Kubernetes Ingress changes: ledger, collector, witness and CLI in one image" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
# Nothing in the runtime installs packages, so the package managers go (and with them a way to
# fetch and run code inside a compromised container).
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* /usr/local/include/node \
 && mkdir -p /data && chown 65532:65532 /data && chmod 0750 /data
COPY --from=build /usr/sbin/nats-server /usr/local/bin/nats-server
COPY --from=build /app/package.json /app/package.json
COPY --from=build /app/bin /app/bin
COPY --from=build /app/dist /app/dist
COPY --from=build /app/node_modules /app/node_modules
RUN ln -s /app/bin/ingress-ledger.js /usr/local/bin/ingress-ledger
# Everything the services write goes under /data (mount a volume there); the root filesystem can be
# read-only. HOME points there too so that nothing tries to write to a missing home directory.
ENV NODE_ENV=production \
    HOME=/data
WORKDIR /data
VOLUME ["/data"]
# A numeric uid, so that runAsNonRoot can check it without a passwd entry.
USER 65532:65532
ENTRYPOINT ["ingress-ledger"]
CMD ["--help"]
