FROM python:3.11-slim

# The monitoring port (/healthz, /metrics) on 9100, on every interface of the container
# (nothing outside reaches it unless published): the HEALTHCHECK below asks it there, so
# keep METRICS_PORT at 9100 in the container (publish `-p 127.0.0.1:9200:9100` to move it).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/dondoc.db METRICS_PORT=9100 METRICS_LISTEN=0.0.0.0
WORKDIR /app

# The dependencies first, in a layer of their own: an update that changes only the code
# rebuilds in seconds. The install is editable because dondoc finds its migrations,
# templates and seed next to the bot package (/app), not in site-packages.
COPY pyproject.toml README.md ./
RUN mkdir bot && touch bot/__init__.py && pip install --no-cache-dir -e . && rm -r bot
COPY bot ./bot
COPY migrations ./migrations
COPY templates ./templates
COPY seed ./seed

# uid 1000, as the image always had: volumes written by an older image stay writable.
RUN useradd --uid 1000 --create-home dondoc && mkdir /data && chown dondoc /data
USER dondoc
# SQLite's file when DATABASE_URL is left as above; with PostgreSQL (compose.yaml), the
# files an admin copies in to import and the exports.
VOLUME /data

# The running bot's /healthz, as compose.yaml's healthcheck: 200 while it ticks and
# reaches its channels, 503 (unhealthy) otherwise or when it does not answer. The slim
# image has no curl: Python's urllib asks. A one-off command (demo, import) serves no
# /healthz and shows unhealthy after the start period, as it should not run that long.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request\ntry:\n    urllib.request.urlopen(\"http://127.0.0.1:9100/healthz\", timeout=5)\nexcept OSError:\n    sys.exit(1)"]

# The web view, when WEB_PORT (8080, as exposed here) turns it on: `dondoc run` serves it
# beside the bot, `dondoc web` alone. On every interface of the container, as the
# monitoring port, so that a published port reaches it (compose.yaml says how to publish
# it to this machine only, for a reverse proxy with TLS); the links answered to /web in a
# chat need WEB_BASE_URL, the address people open.
ENV WEB_LISTEN=0.0.0.0
EXPOSE 8080

# Every command migrates the database first; the default one runs the bot
# (docker run … dondoc demo prints the demo register).
ENTRYPOINT ["dondoc"]
CMD ["run"]
