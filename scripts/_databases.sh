# shellcheck shell=bash
# Sourced by scripts/test: the MariaDB and PostgreSQL servers the export tests run against
# (besides SQLite), on 127.0.0.1 with the machine kind's defaults: MariaDB root without password
# on 3306, PostgreSQL user postgres with trust on 5432.
# A server that is installed but stopped is started; one that is missing is installed from
# Debian's packages (as root) and set up with those defaults. Whatever cannot be done is said, and
# the tests of that database are then skipped with the reason, which pytest prints.

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 tries=30
  while ((tries-- > 0)); do port_open "$port" && return 0; sleep 1; done
  return 1
}

apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  log "installing $* (Debian packages) for the export tests"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; }
}

ensure_mariadb() {
  port_open 3306 && return 0
  local fresh=""
  if [ ! -x /usr/sbin/mariadbd ]; then
    apt_install mariadb-server || { log "MariaDB is not running and cannot be installed here: its export tests will be skipped"; return 0; }
    fresh=1
  fi
  log "starting MariaDB on 127.0.0.1:3306"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --bind-address=127.0.0.1 >/dev/null 2>&1 || true
  if ! wait_port 3306; then log "MariaDB did not start: its export tests will be skipped"; return 0; fi
  if [ -n "$fresh" ]; then
    # A new Debian install lets root in only through the socket; the tests connect over TCP.
    mariadb -u root -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket" >/dev/null 2>&1 || true
  fi
}

ensure_postgresql() {
  port_open 5432 && return 0
  local fresh="" version
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql || { log "PostgreSQL is not running and cannot be installed here: its export tests will be skipped"; return 0; }
    fresh=1
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  if [ -n "$fresh" ]; then
    # The machine kind's default: trust on loopback, for throw-away test databases.
    sed -i '1i host all all 127.0.0.1/32 trust' "/etc/postgresql/$version/main/pg_hba.conf"
  fi
  log "starting PostgreSQL $version on 127.0.0.1:5432"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  wait_port 5432 || log "PostgreSQL did not start: its export tests will be skipped"
}

ensure_databases() {
  # Another host (LOWI_ORES_DB_HOST) is someone else's to run.
  [ "${LOWI_ORES_DB_HOST:-127.0.0.1}" = 127.0.0.1 ] || return 0
  ensure_mariadb
  ensure_postgresql
}
