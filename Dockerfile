FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
RUN pip install .
COPY . .
RUN pip install --no-deps -e . \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only python manage.py compiletranslations \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --create-home portal && chown -R portal /app
USER portal

EXPOSE 8000
CMD ["bin/stack", "web"]
