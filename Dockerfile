# Uses no BuildKit-only syntax (no RUN --mount, no heredocs), so any builder works.
#
# One image for every genq process; only the command differs:
#   API      node apps/api/dist/main.mjs       (default CMD)
#   worker   node apps/worker/dist/main.mjs
#   migrate  npm run db:migrate                (one-off; creates the DB, applies migrations)
# The API and the worker run as bundles built in the image (`npm run build`: esbuild, a
# third of a second); node_modules stay as they are. Scripts (migrate) run through tsx.
#
# Long-running processes are started with node directly, not through `npm run`: npm runs a
# script as `sh -c "tsx …"`, and Debian's sh (dash) neither execs the command nor forwards
# signals. On `docker stop` npm passes SIGTERM to that shell, the shell dies, npm and tini
# exit, and the kernel kills the still-running worker with SIGKILL: no graceful drain.
# With `node apps/.../main.mjs` the process tree is tini -> node, and node gets SIGTERM once.

ARG NODE_VERSION=20
FROM node:${NODE_VERSION}-bookworm-slim AS base
# tini is PID 1: it forwards SIGTERM/SIGINT to the command once and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

# ---- deps: production node_modules and the generated Prisma client ----------------
FROM base AS deps
# npm workspaces: every workspace's package.json must be in place before `npm ci`.
# Copying only the manifests keeps this layer cached until a dependency changes.
# A new workspace under apps/ or packages/ needs its line here.
COPY package.json package-lock.json .npmrc ./
COPY apps/api/package.json apps/api/
COPY apps/cli/package.json apps/cli/
COPY apps/dashboard/package.json apps/dashboard/
COPY apps/worker/package.json apps/worker/
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
COPY packages/generators/package.json packages/generators/
COPY packages/queue/package.json packages/queue/
COPY packages/test-utils/package.json packages/test-utils/
# tsx, prisma and esbuild are runtime dependencies, so --omit=dev keeps everything the
# processes need. --ignore-scripts skips the root postinstall (it needs prisma/ and scripts/,
# which are not copied yet) and dependency install scripts: genq needs none of them (no
# native Prisma engine: the client is Rust-free and migrations use the WebAssembly engine).
# `npm install` rather than `npm ci`: the lock file is written against a registry mirror
# that lacks some other platforms' optional binaries, which `npm ci` refuses.
RUN npm install --omit=dev --ignore-scripts
# What the root postinstall does: generate the Prisma client into packages/db/src/generated.
COPY prisma.config.ts ./
COPY prisma/schema.prisma prisma/
COPY scripts/prisma-generate.ts scripts/
RUN npm run db:generate

# ---- runtime -------------------------------------------------------------------------
FROM base AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    GENQ_ARTIFACTS_DIR=/data/artifacts
# Dependencies first (rarely change), then the source. .dockerignore keeps the host's
# node_modules and generated client out of the build context, so they are not overwritten.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/packages/db/src/generated ./packages/db/src/generated
COPY . .
# The API and worker bundles and the dashboard's static files (the root postinstall builds
# them outside Docker).
RUN npm run build
# The code stays root-owned (read-only for the app); only the artifacts directory is
# writable. A fresh named Docker volume mounted there inherits this ownership.
RUN mkdir -p /data/artifacts && chown node:node /data/artifacts
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
# Liveness of the API (no curl in the slim image). Worker and migrate containers have no
# HTTP port: disable it for them (docker-compose.yml does).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "apps/api/dist/main.mjs"]
