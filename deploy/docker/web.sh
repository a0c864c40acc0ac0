#!/bin/sh
# The image's web server: gunicorn as `manage.py serve` starts it (HOST, PORT, WEB_WORKERS,
# WEB_TIMEOUT from the environment). MIGRATE=1 applies the migrations first: give it to one
# container only (compose.yaml's app).
set -e
if [ "${MIGRATE:-0}" = 1 ]; then
    python manage.py migrate --noinput
fi
exec gunicorn bubble_backend.wsgi \
    --bind "${HOST:-0.0.0.0}:${PORT:-8000}" \
    --workers "${WEB_WORKERS:-2}" \
    --timeout "${WEB_TIMEOUT:-330}" \
    --access-logfile - \
    --no-control-socket \
    --logger-class bubble_backend.ops.gunicorn.Logger
