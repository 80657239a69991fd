# Baseline 3: a plain Dockerfile, the floor for a no-op rebuild: the project's base image
# and one trivial instruction.
FROM buildkit-pyenv-test/astro:bookworm
RUN echo plain > /tmp/plain
