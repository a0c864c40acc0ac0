# bubble-backend: one image for the web server (the default command) and the scheduler
# (`python manage.py run_scheduler`). compose.yaml runs both with PostgreSQL and Redis;
# docs/operations.md, "Docker", has the details.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BUBBLE_VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json

WORKDIR /app
RUN groupadd --system bubble \
    && useradd --system --gid bubble --home-dir /app --shell /usr/sbin/nologin bubble

COPY . .
RUN pip install -e '.[postgres]'
# The static files, into the image (whitenoise serves them). The key is a placeholder for
# this step only: the real SECRET_KEY comes from the environment at run time.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0 \
    && install -d -o bubble -g bubble /data/media \
    && chown bubble:bubble /app/var

USER bubble
EXPOSE 8000
CMD ["deploy/docker/web.sh"]
