FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/dondoc.db
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

# Every command migrates the database first; the default one runs the bot
# (docker run … dondoc demo prints the demo register).
ENTRYPOINT ["dondoc"]
CMD ["run"]
