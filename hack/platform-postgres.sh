#!/usr/bin/env bash
# Runs the gateway's platform PostgreSQL for local development, from the Debian packages.
#   hack/platform-postgres.sh start <dir> <port>   init (first time) and start; idempotent.
#                                                   Prints the DAAP_DATABASE_URL on stdout and
#                                                   writes it to <dir>/database-url.
#   hack/platform-postgres.sh stop <dir>            fast shutdown; idempotent.
#   hack/platform-postgres.sh status <dir>          exit 0 when running.
# Same security defaults as production: TLS only (a CA and server certificate generated into
# <dir>/tls; plain TCP is rejected), scram-sha-256, listening on 127.0.0.1 only. The URL
# verifies the server (sslmode=verify-full) and carries no password: libpq reads it from
# <dir>/pgpass (mode 0600), so the URL can be printed and logged.
set -euo pipefail

usage() {
  echo "usage: $0 start <dir> <port> | stop <dir> | status <dir>" >&2
  exit 2
}

command=${1:-}
dir=${2:-}
[[ -n "$command" && -n "$dir" ]] || usage

bin_dir() {
  local candidate
  candidate=$(pg_config --bindir 2>/dev/null || true)
  if [[ -x "$candidate/initdb" && "$candidate" == */15/* ]]; then
    echo "$candidate"
  elif [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
    echo /usr/lib/postgresql/15/bin
  else
    echo "platform-postgres: PostgreSQL 15 server binaries not found (install postgresql-15)" >&2
    exit 1
  fi
}
bin=$(bin_dir)

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"
tls="$dir/tls"
log="$dir/postgres.log"

# PostgreSQL refuses to run as root: run the server as the postgres user then.
as_server() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() {
  [[ -f "$data/PG_VERSION" ]] && as_server "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

url() {
  local port=$1
  echo "postgresql://daap@127.0.0.1:${port}/daap?sslmode=verify-full&sslrootcert=${tls}/ca.crt&passfile=${dir}/pgpass"
}

initialize() {
  local port=$1
  echo "platform-postgres: initializing $data" >&2
  rm -rf "$data" "$tls"
  mkdir -p "$data" "$tls"
  chmod 700 "$data"
  touch "$log"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$data" "$tls" "$log"
    if ! runuser -u postgres -- test -x "$dir"; then
      echo "platform-postgres: the postgres user cannot reach $dir; choose a directory it can" >&2
      exit 1
    fi
  fi
  as_server "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null

  # A private CA and a server certificate for localhost and 127.0.0.1, signed by it.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" -days 825 -subj "/CN=daap-platform-postgres-ca" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tls/server.key" -out "$tls/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
    >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
    -CAcreateserial -out "$tls/server.crt" -days 825 -extfile "$tls/server.ext" 2>/dev/null
  chmod 600 "$tls/server.key" "$tls/ca.key"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$tls/server.key" "$tls/server.crt"
  fi

  cat >>"$data/postgresql.conf" <<CONF

# DAAP platform database (hack/platform-postgres.sh)
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = ''
ssl = on
ssl_cert_file = '${tls}/server.crt'
ssl_key_file = '${tls}/server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
CONF
  # TLS only: plain TCP is rejected, TLS needs a scram-sha-256 password.
  printf '%s\n' "hostnossl all all all reject" "hostssl all all 127.0.0.1/32 scram-sha-256" \
    >"$data/pg_hba.conf"

  local password
  password=$(openssl rand -hex 24)
  # Role and database before the server ever listens (single-user mode, no socket).
  printf "CREATE ROLE daap LOGIN PASSWORD '%s';\nCREATE DATABASE daap OWNER daap;\n" "$password" |
    as_server "$bin/postgres" --single -D "$data" -F postgres >/dev/null 2>>"$log"
  (umask 077 && printf '127.0.0.1:*:*:daap:%s\n' "$password" >"$dir/pgpass")
}

case "$command" in
  start)
    port=${3:-}
    [[ "$port" =~ ^[0-9]+$ ]] || usage
    if [[ ! -f "$data/PG_VERSION" || ! -f "$dir/pgpass" || ! -f "$tls/ca.crt" ]]; then
      initialize "$port"
    fi
    if running; then
      running_port=$(sed -n 4p "$data/postmaster.pid")
      if [[ "$running_port" != "$port" ]]; then
        echo "platform-postgres: already running on port $running_port, not $port" >&2
        exit 1
      fi
    else
      as_server "$bin/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null </dev/null
      echo "platform-postgres: started on 127.0.0.1:$port (log: $log)" >&2
    fi
    url "$port" >"$dir/database-url"
    url "$port"
    ;;
  stop)
    if running; then
      as_server "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
      echo "platform-postgres: stopped" >&2
    fi
    ;;
  status)
    running
    ;;
  *)
    usage
    ;;
esac
