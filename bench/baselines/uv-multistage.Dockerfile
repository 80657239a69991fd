# Baseline 2: the benchmark project as an expert would write it by hand with uv, in the
# style of uv's Docker guide: uv copied out of its image, interpreters out of the
# official python:<version>-slim-bookworm images (the test bed's stand-ins), one stage
# per environment (`uv venv` + `uv pip install`, uv's cache in a cache mount, copied
# rather than linked out of it, bytecode compiled at build time), and the results put
# into the final stage with COPY --link at the same absolute paths.
# UV_IMAGE names the uv 0.13.9 image (the harness passes the bed's stand-in).
ARG UV_IMAGE
FROM ${UV_IMAGE} AS uv
FROM python:3.13-slim-bookworm AS python-3.13
FROM python:3.11-slim-bookworm AS python-3.11

# The base image with an interpreter and uv: venvs are made where they will run.
FROM buildkit-pyenv-test/astro:bookworm AS base-3.13
USER root
COPY --from=uv /uv /usr/local/bin/uv
COPY --from=python-3.13 /usr/local/bin/python3.13 /usr/local/bin/
COPY --from=python-3.13 /usr/local/lib/ /usr/local/lib/
RUN ldconfig
ENV UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_CACHE_DIR=/root/.cache/uv

FROM buildkit-pyenv-test/astro:bookworm AS base-3.11
USER root
COPY --from=uv /uv /usr/local/bin/uv
COPY --from=python-3.11 /usr/local/bin/python3.11 /usr/local/bin/
COPY --from=python-3.11 /usr/local/lib/ /usr/local/lib/
RUN ldconfig
ENV UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_CACHE_DIR=/root/.cache/uv

FROM base-3.13 AS venv-pandas
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=requirements/pandas.txt,target=/tmp/requirements.txt \
    uv venv --python /usr/local/bin/python3.13 /home/astro/.venv/pandas \
    && uv pip install --python /home/astro/.venv/pandas/bin/python --compile-bytecode \
        -r /tmp/requirements.txt

FROM base-3.13 AS venv-web
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=requirements/web.txt,target=/tmp/requirements.txt \
    uv venv --python /usr/local/bin/python3.13 /home/astro/.venv/web \
    && uv pip install --python /home/astro/.venv/web/bin/python --compile-bytecode \
        -r /tmp/requirements.txt

FROM base-3.11 AS venv-legacy
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=requirements/legacy.txt,target=/tmp/requirements.txt \
    uv venv --python /usr/local/bin/python3.11 /home/astro/.venv/legacy \
    && uv pip install --python /home/astro/.venv/legacy/bin/python --compile-bytecode \
        -r /tmp/requirements.txt
# bench: added stage

FROM buildkit-pyenv-test/astro:bookworm
USER root
COPY --link --from=python-3.13 /usr/local/bin/python3.13 /usr/local/bin/
COPY --link --from=python-3.13 /usr/local/lib/libpython3.13.so.1.0 /usr/local/lib/
COPY --link --from=python-3.13 /usr/local/lib/python3.13/ /usr/local/lib/python3.13/
COPY --link --from=python-3.11 /usr/local/bin/python3.11 /usr/local/bin/
COPY --link --from=python-3.11 /usr/local/lib/libpython3.11.so.1.0 /usr/local/lib/
COPY --link --from=python-3.11 /usr/local/lib/python3.11/ /usr/local/lib/python3.11/
RUN ldconfig
COPY --link --from=venv-pandas /home/astro/.venv/pandas/ /home/astro/.venv/pandas/
COPY --link --from=venv-web /home/astro/.venv/web/ /home/astro/.venv/web/
COPY --link --from=venv-legacy /home/astro/.venv/legacy/ /home/astro/.venv/legacy/
ENV ASTRO_PYENV_pandas=/home/astro/.venv/pandas/bin/python \
    ASTRO_PYENV_web=/home/astro/.venv/web/bin/python \
    ASTRO_PYENV_legacy=/home/astro/.venv/legacy/bin/python
# bench: added final lines
USER astro
