# syntax=docker/dockerfile:1
#
# Image of the sangkien warehouse pipeline: Airflow 3 (every component: api-server,
# scheduler, dag-processor, triggerer, and Celery workers when scaled out), the
# `sangkien` CLI, dbt and Great Expectations, all from the locked environment
# (uv.lock). Built and run by docker-compose.yml; see .env.example.
#
#   docker compose build            # or: docker build -t sangkien:local .
#
# Scaling out with CeleryExecutor uses `apache-airflow-providers-celery` (with the
# redis client), which is in uv.lock like everything else: nothing here installs
# packages outside the lock.

FROM python:3.11-slim-bookworm

ARG UV_VERSION=0.13.8
ARG AIRFLOW_UID=50000

# curl: Airflow HTTP health checks. tini: PID 1 that forwards signals and reaps
# the processes LocalExecutor forks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl tini \
    && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir "uv==${UV_VERSION}"

# Same layout as the official Airflow image: user `airflow`, uid 50000, group 0
# (root group), so files stay readable when the runtime uid is overridden.
RUN useradd --uid "${AIRFLOW_UID}" --gid 0 --create-home --home-dir /home/airflow airflow

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_NO_CACHE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/sangkien/.venv

WORKDIR /opt/sangkien

# 1) Dependencies only, from the lock file: this layer is rebuilt only when
#    pyproject.toml or uv.lock change, not on every code change.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# 2) The project itself (installed editable, as uv does by default: the package
#    finds dbt_project/, dags/ and expectations/ beside src/ through SANGKIEN_HOME).
#    Its CSV row path is C (src/sangkien/landing/_csv_rows.c): the compiler is
#    installed for the build and removed in the same layer.
COPY . .
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && uv sync --frozen --no-dev \
    && apt-get purge -y --auto-remove gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* build

ENV PATH="/opt/sangkien/.venv/bin:${PATH}" \
    SANGKIEN_HOME=/opt/sangkien \
    SANGKIEN_STATE_DIR=/opt/airflow/sangkien-state \
    SANGKIEN_LANDING_DIR=/data/landing \
    SANGKIEN_REPORTS_DIR=/data/reports \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/sangkien/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    DBT_PROFILES_DIR=/opt/sangkien/dbt_project \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    DO_NOT_TRACK=1 \
    GX_ANALYTICS_ENABLED=false

# Writable places for the runtime user. The code and the virtualenv stay owned by
# root (read-only at run time); dbt writes target/ and logs/ inside its project,
# GX writes its uncommitted/ folder. Named volumes mounted on /opt/airflow/logs,
# /opt/airflow/auth, /data/landing and /data/reports start with this ownership.
RUN mkdir -p /opt/airflow/logs /opt/airflow/auth /opt/airflow/sangkien-state /opt/sangkien/expectations \
        /data/landing /data/reports \
    && chown -R airflow:0 /opt/airflow /data /opt/sangkien/dbt_project /opt/sangkien/expectations \
    && chmod -R g=u /opt/airflow /data /opt/sangkien/dbt_project /opt/sangkien/expectations \
    && chmod 0755 /opt/sangkien/docker/*.sh

USER airflow

# A broken dbt project fails the build. `dbt parse` reads the profile but opens no
# connection: profiles.yml takes SANGKIEN_DBT_* (with defaults) and the dummy DSN
# below only stands in for any setting derived from the warehouse DSN.
RUN if [ -f dbt_project/packages.yml ] || [ -f dbt_project/dependencies.yml ]; then \
        dbt deps --project-dir dbt_project --profiles-dir dbt_project; \
    fi \
    && SANGKIEN_WAREHOUSE_DSN="host=localhost port=5432 dbname=dbt_parse user=dbt_parse password=dbt_parse" \
       dbt parse --project-dir dbt_project --profiles-dir dbt_project

WORKDIR /opt/airflow
EXPOSE 8080

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["airflow", "version"]
