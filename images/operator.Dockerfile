# syntax=docker/dockerfile:1.7
# The kubatch operator image. Build from the repository root (the tag follows package.json):
#   docker build -f images/operator.Dockerfile --build-arg VERSION=0.1.0 -t kubatch/operator:0.1.0 .
# The base is pinned to the exact Node release the project runs on (package.json's `node`
# devDependency); pass NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest> to pin by digest.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- deps: only the operator's runtime dependencies, at package-lock.json's versions.
FROM ${NODE_IMAGE} AS deps
WORKDIR /build
COPY package.json package-lock.json ./
# The operator imports @kubernetes/client-node, @azure/storage-blob (listing a collection's blobs),
# prom-client, undici and zod; the rest serve the OCR sample. No install scripts run.
RUN node -e 'const fs = require("node:fs"); const p = JSON.parse(fs.readFileSync("package.json", "utf8")); \
      const keep = ["@kubernetes/client-node", "@azure/storage-blob", "prom-client", "undici", "zod"]; \
      p.dependencies = Object.fromEntries(keep.map((d) => [d, p.dependencies[d]])); \
      delete p.devDependencies; delete p.scripts; delete p.bin; \
      fs.writeFileSync("package.json", JSON.stringify(p, null, 2));' \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
 && npm ls --omit=dev --depth=0 \
 && rm -rf /root/.npm

# --- runtime: Node, the sources (run with Node's type stripping) and node_modules; no npm.
FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="kubatch-operator" \
      org.opencontainers.image.description="kubatch: the Azure Batch model as a Kubernetes operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /opt/kubatch
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=ExperimentalWarning
COPY --from=deps /build/node_modules ./node_modules
# package.json: "type": "module" and the version the operator reports.
COPY package.json ./
# The operator's import closure (e2e/layers/image-closure.test.ts checks it): the API, the
# Kubernetes and blob-storage plumbing and the operator itself, laid out as in the repository.
COPY api ./api
COPY kube ./kube
COPY storage ./storage
COPY operator/src ./operator/src
# Owned by root and read-only for the process; the chart also mounts the root fs read-only.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "operator/src/main.ts"]
CMD ["--config=/etc/kubatch/config.yaml", "--health-addr=0.0.0.0:8081"]
