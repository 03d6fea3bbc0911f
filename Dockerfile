# medvirkning: the service on PostgreSQL (set MEDVIRKNING_DATABASE_URL) or on an SQLite file in /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MEDVIRKNING_DATA_DIR=/data \
    MEDVIRKNING_HOST=0.0.0.0 \
    MEDVIRKNING_PORT=8000

# WeasyPrint (the PDF/A export) needs Pango and a font; Debian's security updates are wanted.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY medvirkning ./medvirkning
COPY surveys ./surveys
COPY templates ./templates
RUN pip install --no-cache-dir -e . \
    && useradd --system --create-home --uid 10001 medvirkning \
    && mkdir -p /data && chown medvirkning /data

USER 10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
# `run` applies the migrations and the seed data, then starts the server.
CMD ["medvirkning", "run"]
