# One image for web, worker and beat; they differ only in their command (see docker-compose.yml).
# Production requirements only (requirements.txt): test and lint tools stay out of the image.

# --- builder: a virtualenv with every wheel installed, built where compilers may live ---------------
FROM python:3.11-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt requirements-models.txt /tmp/
RUN pip install --upgrade pip && pip install -r /tmp/requirements.txt \
    && pip install --no-deps -r /tmp/requirements-models.txt

# --- final: the venv, the code, collected static files, a non-root user ---------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=socialsite.settings
WORKDIR /app

# libpq for psycopg is bundled in psycopg[binary]; nothing else is needed at run time.
RUN useradd --create-home --uid 1000 app
COPY --from=builder /opt/venv /opt/venv
COPY . .
# collectstatic needs a key at build time only; the real one comes from the environment. The media and
# model-cache folders exist (owned by app) so that the named volumes mounted there start writable.
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media /app/var/originals /app/var/cache/recognition \
    && chown -R app:app /app/var
USER app

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["python", "-m", "socialsite.probe"]
CMD ["gunicorn", "--config", "python:socialsite.gunicorn", "socialsite.wsgi:application"]
