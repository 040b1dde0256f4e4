FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MSCC_VAR_DIR=/tmp/mscc
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && useradd --system mscc
USER mscc
EXPOSE 8000
CMD ["gunicorn", "mscc.wsgi:application", "--bind", "0.0.0.0:8000"]
