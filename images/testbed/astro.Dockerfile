# A stand-in for Astronomer's runtime image: Debian bookworm with its own Python
# (3.11) and the user astro (uid 50000), who is the image's USER.
ARG BASE
FROM ${BASE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-venv python3-pip \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 50000 --gid 0 --create-home --shell /bin/bash astro
USER astro
WORKDIR /home/astro
