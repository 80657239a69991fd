# A stand-in for Astronomer's runtime: the astro base (Debian's Python 3.11, USER astro)
# with Apache Airflow 3 from PyPI in its own virtual environment, on PATH, and an
# initialised SQLite metadata database.
ARG BASE
FROM ${BASE}
ARG AIRFLOW_VERSION=3.3.2
USER root
RUN python3 -m venv /opt/airflow \
    && /opt/airflow/bin/pip install --no-cache-dir --disable-pip-version-check -q \
        "apache-airflow==${AIRFLOW_VERSION}"
ENV PATH=/opt/airflow/bin:$PATH \
    AIRFLOW_HOME=/home/astro/airflow \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DAGS_FOLDER=/home/astro/airflow/dags
USER astro
RUN mkdir -p /home/astro/airflow/dags && airflow db migrate >/dev/null
