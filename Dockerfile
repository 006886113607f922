# The production image: gunicorn serving the app; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

# Pango and fonts for WeasyPrint's PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz0b fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock .
RUN pip install -r requirements.lock
COPY . .
# collectstatic needs settings; the key below exists only for this build step.
RUN SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret DEBUG=0 \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 ccpl && mkdir -p /app/var && chown -R ccpl /app/var
USER ccpl
# gunicorn's workers add up their metrics here (docker-compose.yml shares it with the worker).
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/ccpl-metrics
EXPOSE 8000
# No gunicorn access log: the app logs one line per request with its request id and URL name,
# never the path, which may hold a private link's secret.
CMD ["gunicorn", "ccpl.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
