# esalert container image.
#
#   docker build -t esalert .
#   docker run -e ES_HOST=elasticsearch -v "$PWD/rules:/etc/esalert/rules:ro" -p 9090:9090 esalert
#
# Layout (docs/deploy.md):
#   /etc/esalert/config.yaml   global configuration (the default reads ES_HOST, ES_PORT, ES_USERNAME, ...)
#   /etc/esalert/rules/        rule files (the example rules until you mount yours)
#   /etc/esalert/modules/      custom alerters, rule types and enhancements (TypeScript or JavaScript)
#   /app                       esalert itself; /app/rules and /app/examples serve `esalert demo`
# Port 9090: /healthz (liveness), /readyz (readiness), /metrics (Prometheus), the console (/) and its API.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script (here and below), and the `node` development dependency's
# would fetch a second Node.js (the one the npm scripts use on machines with an older node).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json tsconfig.web.json ./
COPY bin ./bin
COPY src ./src
RUN npm run build

FROM node:24-slim AS runtime
LABEL org.opencontainers.image.title="esalert" \
      org.opencontainers.image.description="Elasticsearch alerting rule engine for Kubernetes events; runs ElastAlert 2 rules" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
# Memory over speed (docs/deploy.md, "Memory"): V8's young generation capped at 2 MB per
# semi-space (the default grows to 16 MB; override with NODE_OPTIONS); in ENTRYPOINT, because
# NODE_OPTIONS does not take them, --optimize-for-size, which collects the old generation before it
# grows far past what is live, and --max-opt=1, which keeps V8's baseline compiler (Sparkplug) but
# not its optimizing ones (Maglev, TurboFan), whose code and work memory cost about 12 MB of RSS for
# about 13% more CPU in a backfill. glibc's malloc keeps at most 2 arenas instead of one per thread.
# No hard heap limit: the container's memory limit stays the bound.
ENV NODE_OPTIONS=--max-semi-space-size=2
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# dist/cli/main.js loads bin/check-node.cjs first (it names the Node.js needed on an older one)
COPY bin ./bin
COPY config.yaml.example ./
COPY rules ./rules
COPY examples ./examples
COPY deploy/docker/config.yaml /etc/esalert/config.yaml
COPY rules /etc/esalert/rules
COPY modules /etc/esalert/modules
# Modules under /etc/esalert/modules may import esalert's own dependencies (zod, undici, ...):
# Node looks for packages in every parent directory's node_modules, up to /node_modules.
RUN ln -s /app/node_modules /node_modules
# Relative paths in config.yaml and rules (rules_folder: rules, modules/x.ts) resolve here.
WORKDIR /etc/esalert
# The node image's unprivileged "node" user, by number so that Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--optimize-for-size", "--max-opt=1", "/app/dist/cli/main.js"]
CMD ["run", "--config", "/etc/esalert/config.yaml", "--http-port", "9090"]
