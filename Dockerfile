# syntax=docker/dockerfile:1
# One image recipe for every app: the build stage compiles the whole monorepo once (shared by
# all six images through the build cache); each image differs only in the app it runs.
#   docker build --build-arg APP=telephony-worker -t mfa/telephony-worker .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.json ./
COPY tools ./tools
COPY libs ./libs
COPY apps ./apps
RUN npm run build && npm prune --omit=dev \
 && node -e "for (const m of ['twilio','nodemailer','firebase-admin','bullmq','pg']) require.resolve(m)"

FROM ${NODE_IMAGE}
ARG APP=gateway
ENV NODE_ENV=production APP=${APP}
WORKDIR /app
COPY --from=build --chown=node:node /src/node_modules ./node_modules
COPY --from=build --chown=node:node /src/dist ./dist
COPY --from=build --chown=node:node /src/package.json ./package.json
COPY --from=build --chown=node:node /src/tools/admin/bin ./tools/admin/bin
USER node
EXPOSE 3000 50051
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# exec form through sh so $APP expands; `exec` hands SIGTERM straight to node.
# Workers get a V8 old-space cap (WORKER_HEAP_MB, default 96): V8 sizes its heap for the machine,
# and let a worker whose live set is about 30 MB grow past 170 MB of RSS under load before it
# collected; capped, each stays under 150 MB at the same throughput (tools/bench).
CMD ["sh", "-c", "case \"$APP\" in *-worker) heap=--max-old-space-size=${WORKER_HEAP_MB:-96} ;; *) heap= ;; esac; exec node $heap dist/apps/${APP}/src/main.js"]
