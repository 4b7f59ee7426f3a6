FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/dondoc.db
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY migrations ./migrations
COPY templates ./templates
COPY seed ./seed
RUN pip install --no-cache-dir -e . && useradd --create-home dondoc && mkdir /data && chown dondoc /data

USER dondoc
VOLUME /data
# Every command migrates the database first; the default one prints the demo register.
ENTRYPOINT ["dondoc"]
CMD ["demo"]
