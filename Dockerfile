# The platform's image: one image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=platform_gov.settings
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 platform

COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install .
COPY . .
# collectstatic needs settings; a throwaway key is fine for a build step that serves nothing.
RUN DJANGO_SECRET_KEY=build-only python manage.py compilemessages --ignore=.venv \
    && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput --verbosity 0

USER platform
EXPOSE 8000
CMD ["gunicorn", "platform_gov.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
