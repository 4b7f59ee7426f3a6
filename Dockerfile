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
# Migrate on start, then run the given command (default: the demo register).
ENTRYPOINT ["sh", "-c", "dondoc db upgrade >/dev/null && exec dondoc \"$@\"", "dondoc"]
CMD ["demo"]
