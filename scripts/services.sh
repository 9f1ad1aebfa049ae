#!/usr/bin/env bash
# Start the servers the tests use, if they are down, and wait for them: PostgreSQL and MariaDB
# (the stores and states), Redis and RabbitMQ (the Celery job backends of `registre worker`).
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
my_up() { mariadb-admin --host=127.0.0.1 --user=root ping >/dev/null 2>&1; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
rabbit_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if ! pg_up && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! my_up && [ -x /usr/sbin/mariadbd ]; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
if ! redis_up && command -v redis-server >/dev/null; then
  redis-server --daemonize yes --port 6379 --save "" >/dev/null || true
fi
if ! rabbit_up && command -v rabbitmq-server >/dev/null; then
  rabbitmq-server -detached >/dev/null 2>&1 || true
fi

# RabbitMQ takes the longest to start: up to two minutes on a busy machine
for _ in $(seq 1 120); do
  pg=0; my=0; rd=0; rb=0
  pg_up && pg=1
  my_up && my=1
  redis_up && rd=1
  rabbit_up && rb=1
  if [ "$pg$my$rd$rb" = 1111 ]; then
    echo "services: PostgreSQL, MariaDB, Redis and RabbitMQ answer"
    exit 0
  fi
  sleep 1
done
echo "services: PostgreSQL=$pg MariaDB=$my Redis=$rd RabbitMQ=$rb (1 = answers) after 120 s" >&2
exit 1
