# bench: added stage
FROM base-3.13 AS venv-tools
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=requirements/tools.txt,target=/tmp/requirements.txt \
    uv venv --python /usr/local/bin/python3.13 /home/astro/.venv/tools \
    && uv pip install --python /home/astro/.venv/tools/bin/python --compile-bytecode \
        -r /tmp/requirements.txt
# bench: added final lines
COPY --link --from=venv-tools /home/astro/.venv/tools/ /home/astro/.venv/tools/
ENV ASTRO_PYENV_tools=/home/astro/.venv/tools/bin/python
