FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .
COPY config ./config
RUN useradd --create-home crosspost && mkdir -p /app/var && chown crosspost /app/var
USER crosspost
ENTRYPOINT ["crosspost"]
CMD ["run"]
