#!/usr/bin/env bash
# One-shot initialisation, run by the `airflow-init` service of docker-compose.yml
# before any long-running Airflow component starts. Safe to run again: every step
# is idempotent (`docker compose run --rm airflow-init` after an upgrade).
#
#   1. refuse to start with the placeholder secrets of .env.example;
#   2. check that the shared volumes are writable by the runtime user;
#   3. `airflow db migrate` on Airflow's own metadata database (airflow-db);
#   4. the Airflow admin login (SimpleAuthManager passwords file, or FAB user);
#   5. `sangkien db bootstrap` on the warehouse (warehouse-db) with the ADMIN DSN:
#      schemas, tables and the project's group roles;
#   6. the pipeline's own login on the warehouse, member of the project's roles
#      (docker/ensure_warehouse_login.py): the running services never hold the
#      warehouse superuser's password.
set -euo pipefail

log() { printf '[airflow-init] %s\n' "$*"; }
die() {
    printf '[airflow-init] ERROR: %s\n' "$*" >&2
    exit 1
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# --- 1. settings and secrets ---------------------------------------------------
required=(
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
    AIRFLOW__CORE__FERNET_KEY
    AIRFLOW__API__SECRET_KEY
    AIRFLOW__API_AUTH__JWT_SECRET
    AIRFLOW_ADMIN_USERNAME
    AIRFLOW_ADMIN_PASSWORD
    SANGKIEN_WAREHOUSE_DSN
    SANGKIEN_WAREHOUSE_ADMIN_DSN
    SANGKIEN_APP_LOGIN
    SANGKIEN_APP_PASSWORD
    SANGKIEN_PSEUDONYM_KEY
    SANGKIEN_LANDING_DIR
    SANGKIEN_REPORTS_DIR
)
for name in "${required[@]}"; do
    value="${!name:-}"
    [[ -n "${value}" ]] || die "${name} is not set (see .env.example)"
    if [[ "${value}" == *change-me* ]]; then
        die "${name} still holds a 'change-me' placeholder from .env.example: generate a real value"
    fi
done

# --- 2. shared volumes -----------------------------------------------------------
for dir in "${AIRFLOW_HOME:-/opt/airflow}/logs" "${SANGKIEN_LANDING_DIR}" "${SANGKIEN_REPORTS_DIR}"; do
    mkdir -p "${dir}" 2>/dev/null || true
    [[ -w "${dir}" ]] || die "${dir} is not writable by uid $(id -u); fix the volume's ownership (chown -R 50000:0)"
done

# --- 3. Airflow metadata database -------------------------------------------------
log "migrating the Airflow metadata database"
airflow db migrate

# --- 4. admin login ----------------------------------------------------------------
auth_manager="${AIRFLOW__CORE__AUTH_MANAGER:-airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager}"
case "${auth_manager}" in
    *SimpleAuthManager*)
        passwords_file="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE must point into the airflow-auth volume}"
        log "setting the password of '${AIRFLOW_ADMIN_USERNAME}' in ${passwords_file}"
        python - "${passwords_file}" <<'PY'
import json
import os
import sys
import tempfile

path = sys.argv[1]
os.makedirs(os.path.dirname(path), exist_ok=True)
passwords = {}
if os.path.exists(path):
    with open(path, encoding="utf-8") as stream:
        passwords = json.loads(stream.read().strip() or "{}")
passwords[os.environ["AIRFLOW_ADMIN_USERNAME"]] = os.environ["AIRFLOW_ADMIN_PASSWORD"]
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".passwords-")
with os.fdopen(fd, "w", encoding="utf-8") as stream:
    stream.write(json.dumps(passwords) + "\n")
os.chmod(tmp, 0o600)
os.replace(tmp, path)
PY
        ;;
    *fab*)
        # Only when the FAB provider is installed (it is not in uv.lock today).
        if airflow users list --output plain 2>/dev/null | awk '{print $2}' | grep -qx "${AIRFLOW_ADMIN_USERNAME}"; then
            log "FAB user '${AIRFLOW_ADMIN_USERNAME}' exists: resetting its password"
            airflow users reset-password --username "${AIRFLOW_ADMIN_USERNAME}" --password "${AIRFLOW_ADMIN_PASSWORD}"
        else
            log "creating FAB user '${AIRFLOW_ADMIN_USERNAME}'"
            airflow users create --role Admin --username "${AIRFLOW_ADMIN_USERNAME}" \
                --password "${AIRFLOW_ADMIN_PASSWORD}" --firstname Admin --lastname Sangkien \
                --email "${AIRFLOW_ADMIN_EMAIL:-admin@example.invalid}"
        fi
        ;;
    *)
        log "auth manager ${auth_manager}: no admin user to create"
        ;;
esac

# --- 5. warehouse schemas, tables and roles -------------------------------------------
# Run as the warehouse admin (CREATEROLE is needed for the roles). The Airflow
# connection is unset so the CLI cannot pick the runtime login instead.
log "sangkien db bootstrap (warehouse admin)"
env -u AIRFLOW_CONN_SANGKIEN_WAREHOUSE \
    SANGKIEN_WAREHOUSE_DSN="${SANGKIEN_WAREHOUSE_ADMIN_DSN}" \
    sangkien db bootstrap

# --- 6. the pipeline's login ---------------------------------------------------------
log "ensuring the warehouse login '${SANGKIEN_APP_LOGIN}' used by the pipeline"
python "${here}/ensure_warehouse_login.py"

log "done"
