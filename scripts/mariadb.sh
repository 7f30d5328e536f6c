#!/usr/bin/env bash
# A MariaDB server on 127.0.0.1:3306 for the MySQL backend tests (Debian's mariadb-server, started
# in the background: no systemd here). Idempotent. Root connects through the unix socket.
set -euo pipefail

log() { printf '[mariadb] %s\n' "$*" >&2; }
ping() { mariadb-admin --protocol=socket ping >/dev/null 2>&1; }

if ping; then exit 0; fi
if ! command -v mysqld_safe >/dev/null 2>&1; then
  log "installing Debian's mariadb-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq mariadb-server >/dev/null
fi
install -d -o mysql -g mysql /run/mysqld
log "starting mysqld on 127.0.0.1:3306"
# Its own session: the server outlives the shell that started it.
setsid nohup mysqld_safe --bind-address=127.0.0.1 --port=3306 >/var/log/mariadb-test.log 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if ping; then log "mariadb is up"; exit 0; fi
  sleep 1
done
log "mariadb did not answer within 60 s"; tail -n 20 /var/log/mariadb-test.log >&2; exit 1
