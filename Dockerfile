# One image for all four services; docker-compose.yml picks the service per container
# with `command: ["python", "-m", "services.<name>"]`.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

RUN groupadd --system --gid 10001 npa \
 && useradd --system --uid 10001 --gid npa --home-dir /app --no-create-home --shell /usr/sbin/nologin npa

# Dependencies first, so code changes do not invalidate this layer.
COPY pyproject.toml requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY npa/ ./npa/
COPY services/ ./services/

# var/ is where a service keeps local state when run without external settings.
RUN mkdir -p /app/var && chown npa:npa /app/var

USER npa

EXPOSE 8001 8002 8003 8004

CMD ["python", "-m", "services.actors"]
