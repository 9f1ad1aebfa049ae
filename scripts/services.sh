#!/usr/bin/env bash
# Start the PostgreSQL and MariaDB servers the tests use, if they are down, and wait for them.
set -euo pipefail

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
if ! mariadb-admin --host=127.0.0.1 --user=root ping >/dev/null 2>&1; then
  if [ -x /usr/sbin/mariadbd ]; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  fi
fi

for _ in $(seq 1 60); do
  pg_ok=0; my_ok=0
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && pg_ok=1
  mariadb-admin --host=127.0.0.1 --user=root ping >/dev/null 2>&1 && my_ok=1
  if [ "$pg_ok" = 1 ] && [ "$my_ok" = 1 ]; then
    echo "services: PostgreSQL and MariaDB answer"
    exit 0
  fi
  sleep 1
done
echo "services: PostgreSQL answers=$pg_ok, MariaDB answers=$my_ok after 60 s" >&2
exit 1
