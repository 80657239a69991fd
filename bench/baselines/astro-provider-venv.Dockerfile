# Baseline 1: what astro-provider-venv's frontend makes of the benchmark project
# (bench/project/Dockerfile), written by hand after the expansion its README shows under
# "The Gory Details": each Python version's files are copied out of the official
# python:<version>-slim-<Debian release> image into /usr/local, then each environment is
# a venv (--system-site-packages) made and filled by pip as the user astro, with pip's
# cache in a cache mount. Everything happens in the user's own stage, one step after
# another. The python images are the test bed's local stand-ins.
FROM buildkit-pyenv-test/astro:bookworm

# PYENV 3.13 pandas requirements/pandas.txt
USER root
COPY --link --from=python:3.13-slim-bookworm /usr/local/bin/*3.13* /usr/local/bin/
COPY --link --from=python:3.13-slim-bookworm /usr/local/include/python3.13* /usr/local/include/python3.13
COPY --link --from=python:3.13-slim-bookworm /usr/local/lib/pkgconfig/*3.13* /usr/local/lib/pkgconfig/
COPY --link --from=python:3.13-slim-bookworm /usr/local/lib/*3.13*.so* /usr/local/lib/
COPY --link --from=python:3.13-slim-bookworm /usr/local/lib/python3.13 /usr/local/lib/python3.13
RUN /sbin/ldconfig /usr/local/lib
USER astro
RUN mkdir -p /home/astro/.cache/pip /home/astro/.venv/pandas
COPY --chown=50000:0 requirements/pandas.txt /home/astro/.venv/pandas/requirements.txt
RUN /usr/local/bin/python3.13 -m venv --system-site-packages /home/astro/.venv/pandas
ENV ASTRO_PYENV_pandas=/home/astro/.venv/pandas/bin/python
RUN --mount=type=cache,uid=50000,gid=0,target=/home/astro/.cache/pip \
    /home/astro/.venv/pandas/bin/pip --cache-dir=/home/astro/.cache/pip install \
    -r /home/astro/.venv/pandas/requirements.txt

# PYENV 3.13 web requirements/web.txt (the 3.13 files are there already)
RUN mkdir -p /home/astro/.cache/pip /home/astro/.venv/web
COPY --chown=50000:0 requirements/web.txt /home/astro/.venv/web/requirements.txt
RUN /usr/local/bin/python3.13 -m venv --system-site-packages /home/astro/.venv/web
ENV ASTRO_PYENV_web=/home/astro/.venv/web/bin/python
RUN --mount=type=cache,uid=50000,gid=0,target=/home/astro/.cache/pip \
    /home/astro/.venv/web/bin/pip --cache-dir=/home/astro/.cache/pip install \
    -r /home/astro/.venv/web/requirements.txt

# PYENV 3.11 legacy requirements/legacy.txt
USER root
COPY --link --from=python:3.11-slim-bookworm /usr/local/bin/*3.11* /usr/local/bin/
COPY --link --from=python:3.11-slim-bookworm /usr/local/include/python3.11* /usr/local/include/python3.11
COPY --link --from=python:3.11-slim-bookworm /usr/local/lib/pkgconfig/*3.11* /usr/local/lib/pkgconfig/
COPY --link --from=python:3.11-slim-bookworm /usr/local/lib/*3.11*.so* /usr/local/lib/
COPY --link --from=python:3.11-slim-bookworm /usr/local/lib/python3.11 /usr/local/lib/python3.11
RUN /sbin/ldconfig /usr/local/lib
USER astro
RUN mkdir -p /home/astro/.cache/pip /home/astro/.venv/legacy
COPY --chown=50000:0 requirements/legacy.txt /home/astro/.venv/legacy/requirements.txt
RUN /usr/local/bin/python3.11 -m venv --system-site-packages /home/astro/.venv/legacy
ENV ASTRO_PYENV_legacy=/home/astro/.venv/legacy/bin/python
RUN --mount=type=cache,uid=50000,gid=0,target=/home/astro/.cache/pip \
    /home/astro/.venv/legacy/bin/pip --cache-dir=/home/astro/.cache/pip install \
    -r /home/astro/.venv/legacy/requirements.txt
# bench: added environment
