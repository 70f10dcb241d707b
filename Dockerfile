# syntax=docker/dockerfile:1.7
# The Konfiguru operator image: `docker build -t konfiguru-operator .` at the repository root.
# Stage 1 builds the konfiguru wheel and the wheels of its runtime dependencies; stage 2 installs
# only those wheels (no compiler, no build frontend, no pip left behind) and runs Kopf as a
# non-root numeric user. Checked by tests/shipping/test_dockerfile.py.

# Pinned by exact tag (Python patch release and Debian release); pin by digest in your registry
# mirror if you need byte-for-byte rebuilds.
FROM python:3.11.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY crds/ crds/
COPY generators/ generators/
COPY operator/ operator/
# `pip wheel` builds konfiguru (PEP 517, setuptools fetched into an isolated build environment)
# and downloads every runtime dependency as a wheel, so the next stage needs no index and no
# build tools. The crds symlink inside generators/ resolves because crds/ sits beside it.
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[operator]"

FROM python:3.11.11-slim-bookworm AS runtime
# Install from the wheels alone (--no-index), then remove pip, setuptools and wheel: the
# running image needs none of them.
# DL3013 (pin versions in pip) is ignored on purpose: --no-index installs exactly the wheels the
# build stage produced from this source tree, so the version is fixed by the tree itself.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels "konfiguru[operator]" \
 && pip uninstall --yes pip setuptools wheel
# No passwd entry exists for the numeric user: give Python's getpass a name and a writable home.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    USER=konfiguru \
    HOME=/tmp
USER 65532:65532
EXPOSE 8080
# For `docker run`; Kubernetes ignores it and uses the chart's probes on the same endpoint.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# `kopf run` with the options of konfiguru_operator.settings, read from KONFIGURU_* variables
# (KONFIGURU_NAMESPACES, KONFIGURU_STANDALONE, KONFIGURU_PRIORITY, ...). The liveness endpoint
# answers on :8080/healthz unless KONFIGURU_LIVENESS says otherwise.
ENTRYPOINT ["python", "-m", "konfiguru_operator"]
