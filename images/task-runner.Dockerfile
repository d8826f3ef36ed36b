# syntax=docker/dockerfile:1.7
# The node image: the default image of every Pool's node pods (init container `fetch`, main
# container `agent`). Build from the repository root (the tag follows package.json):
#   docker build -f images/task-runner.Dockerfile --build-arg VERSION=0.1.0 -t kubatch/task-runner:0.1.0 .
# With the OCR sample's program and its offline tesseract.js model (target `ocr`):
#   docker build -f images/task-runner.Dockerfile --target ocr -t kubatch/task-runner-ocr:0.1.0 .
# Pin the base by digest with NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest>.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- deps: the task-runner's runtime dependencies (and, in deps-ocr, the sample's).
FROM ${NODE_IMAGE} AS deps
WORKDIR /build
COPY package.json package-lock.json ./
RUN node -e 'const fs = require("node:fs"); const p = JSON.parse(fs.readFileSync("package.json", "utf8")); \
      const keep = ["@kubernetes/client-node", "@azure/storage-blob", "undici", "zod"]; \
      p.dependencies = Object.fromEntries(keep.map((d) => [d, p.dependencies[d]])); \
      delete p.devDependencies; delete p.scripts; delete p.bin; \
      fs.writeFileSync("package.json", JSON.stringify(p, null, 2));' \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
 && npm ls --omit=dev --depth=0 \
 && rm -rf /root/.npm

FROM ${NODE_IMAGE} AS deps-ocr
WORKDIR /build
COPY package.json package-lock.json ./
RUN node -e 'const fs = require("node:fs"); const p = JSON.parse(fs.readFileSync("package.json", "utf8")); \
      delete p.dependencies["prom-client"]; delete p.devDependencies; delete p.scripts; delete p.bin; \
      fs.writeFileSync("package.json", JSON.stringify(p, null, 2));' \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
 && rm -rf /root/.npm

# --- runtime. Tasks are arbitrary command lines: the image keeps a shell, coreutils and npm.
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="kubatch-task-runner" \
      org.opencontainers.image.description="kubatch node image: resource file fetch, start task and task agent" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /opt/kubatch
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=ExperimentalWarning \
    HOME=/tmp
COPY --from=deps /build/node_modules ./node_modules
COPY package.json ./
# The agent's import closure (e2e/layers/image-closure.test.ts checks it): the API, the
# Kubernetes and blob-storage plumbing and the task-runner itself, laid out as in the repository.
COPY api ./api
COPY kube ./kube
COPY storage ./storage
COPY task-runner/src ./task-runner/src
USER 65532:65532
ENTRYPOINT ["node", "/opt/kubatch/task-runner/src/main.ts"]
CMD ["agent"]

# --- ocr: the runtime plus the OCR sample's task program (examples/ocr), fully offline.
# The sample's tesseract-wrapper finds it through KUBATCH_REPO.
FROM runtime AS ocr
COPY --from=deps-ocr /build/node_modules ./node_modules
COPY examples/ocr/ocr-task.ts examples/ocr/ocr.ts examples/ocr/storage.ts ./examples/ocr/
ENV KUBATCH_REPO=/opt/kubatch

# The default target is the plain node image.
FROM runtime
