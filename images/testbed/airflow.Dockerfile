# A stand-in for Astronomer's runtime: the astro base (Debian's Python 3.11, USER astro)
# with Apache Airflow from PyPI: Airflow 3 in /opt/airflow (on PATH, AIRFLOW_HOME
# /home/astro/airflow) and Airflow 2 in /opt/airflow2 (AIRFLOW_HOME /home/astro/airflow2),
# both with an initialised SQLite metadata database and the same DAGs folder.
ARG BASE
FROM ${BASE}
ARG AIRFLOW_VERSION=3.3.2
ARG AIRFLOW2_VERSION=2.11.0
USER root
RUN python3 -m venv /opt/airflow \
    && /opt/airflow/bin/pip install --no-cache-dir --disable-pip-version-check -q \
        "apache-airflow==${AIRFLOW_VERSION}" \
    && python3 -m venv /opt/airflow2 \
    && /opt/airflow2/bin/pip install --no-cache-dir --disable-pip-version-check -q \
        "apache-airflow==${AIRFLOW2_VERSION}"
ENV PATH=/opt/airflow/bin:$PATH \
    AIRFLOW_HOME=/home/astro/airflow \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DAGS_FOLDER=/home/astro/airflow/dags
USER astro
RUN mkdir -p /home/astro/airflow/dags \
    && airflow db migrate >/dev/null \
    && AIRFLOW_HOME=/home/astro/airflow2 /opt/airflow2/bin/airflow db migrate >/dev/null
