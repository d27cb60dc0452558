# syntax=docker/dockerfile:1
# keygate: build with the full toolchain, run with production dependencies only, as a non-root user.
# .ci/run performs the same steps without Docker (no engine runs on the CI machines).
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
# npm ci compiles better-sqlite3 (the SQLite driver where Node has no node:sqlite) from its sources:
# node-gyp needs python3, make and g++, and builds against this image's own Node headers, so nothing
# is downloaded (.prebuild-installrc stops the prebuilt-binary fetch). Build stage only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json .prebuild-installrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim
# --max-semi-space-size=16: Node 24 otherwise lets its young generation grow to 134 MB of RSS
# under load; 16 MB semi-spaces (Node 20's size) cost no measurable CPU (bench/README.md).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=16 \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The store's default SQLite file is ./data/keygate.sqlite (DATABASE_URL unset): writable by the
# runtime user. Mount a volume here to keep the audit trail and rotations across restarts.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 4000
# /healthz: the process is alive and serving HTTP (readiness, /readyz, also checks the upstreams).
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
