# syntax=docker/dockerfile:1
# One image for the whole portal: gunicorn (web), Celery worker and beat, and the
# one-shot `migrate`. docker-compose.yml picks the process with `command:`.
FROM python:3.11-slim-bookworm

# WEB_CONCURRENCY is read by gunicorn itself as its default --workers.
# VAR_DIR holds runtime state; STATIC_ROOT (filled below at build time) lies outside it,
# so a volume over /app/var cannot hide WhiteNoise's manifest.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=inecopay.settings \
    VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media \
    STATIC_ROOT=/app/staticfiles \
    WEB_CONCURRENCY=3

# WeasyPrint's system libraries (pango and HarfBuzz's subsetter) and a font for PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
        shared-mime-info \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid 1000 inecopay \
    && useradd --uid 1000 --gid inecopay --create-home --home-dir /home/inecopay \
        --shell /usr/sbin/nologin inecopay

WORKDIR /app

# The lock file alone first, so code changes do not reinstall the dependencies.
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt
# Fail the build, not the first report, when pango or the fonts are missing.
RUN python -c "import weasyprint; weasyprint.HTML(string='<p>ok</p>').write_pdf()"

# The code belongs to root and is read-only for the app user; only /app/var is writable.
COPY . .
RUN mkdir -p /app/var/media /app/staticfiles \
    && chown -R inecopay:inecopay /app/var /app/staticfiles

USER inecopay

# Static files are part of the image (WhiteNoise's manifest). The secret below exists only
# for this command: settings refuse to load with DEBUG=0 and no SECRET_KEY.
RUN DEBUG=0 \
    SECRET_KEY=build-only-collectstatic-key-never-used-at-runtime-0123456789abcdef \
    python manage.py collectstatic --noinput -v 0

EXPOSE 8000

# /healthz is exempt from the HTTPS redirect; it must still pass ALLOWED_HOSTS, so the probe
# sends the first allowed host name as Host (localhost if none is usable).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; hosts = [h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS', '').split(',') if h.strip() and '*' not in h]; r = u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': hosts[0] if hosts else 'localhost'}), timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD ["gunicorn", "inecopay.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--worker-tmp-dir", "/dev/shm"]
