# totalplace: one image for the API and the workers (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The dependencies in a layer of their own (HiGHS, OR-Tools and psycopg come as wheels: no compiler needed),
# pinned by constraints.txt: a change to the code rebuilds from the next layer only.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['service'] + p['optional-dependencies']['solvers']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt -c constraints.txt

# The package itself, and the shipped scenarios (scenarios/: `totalplace solve scenarios/manchester.json` in the container)
COPY README.md ./
COPY optimizer ./optimizer
COPY api ./api
COPY scenarios ./scenarios
COPY docs ./docs
RUN pip install --no-deps '.[service,solvers]' \
 && useradd --create-home --uid 10001 totalplace \
 && mkdir -p /app/var && chown totalplace /app/var

# Embedded mode (no TOTALPLACE_DATABASE_URL) keeps its SQLite file here: mount a volume to keep it.
VOLUME ["/app/var"]
USER totalplace
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"

CMD ["totalplace", "serve", "--host", "0.0.0.0", "--port", "8000"]
