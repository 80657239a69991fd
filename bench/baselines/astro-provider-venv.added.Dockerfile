# bench: added environment
# PYENV 3.13 tools requirements/tools.txt
RUN mkdir -p /home/astro/.cache/pip /home/astro/.venv/tools
COPY --chown=50000:0 requirements/tools.txt /home/astro/.venv/tools/requirements.txt
RUN /usr/local/bin/python3.13 -m venv --system-site-packages /home/astro/.venv/tools
ENV ASTRO_PYENV_tools=/home/astro/.venv/tools/bin/python
RUN --mount=type=cache,uid=50000,gid=0,target=/home/astro/.cache/pip \
    /home/astro/.venv/tools/bin/pip --cache-dir=/home/astro/.cache/pip install \
    -r /home/astro/.venv/tools/requirements.txt
