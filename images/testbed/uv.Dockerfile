# A stand-in for the official ghcr.io/astral-sh/uv:<version> image: FROM scratch with the
# static binaries /uv and /uvx, WORKDIR /io, ENTRYPOINT ["/uv"]. The bed cannot pull it,
# so the binaries come out of uv's static (musllinux) wheel on PyPI, downloaded with the
# pip of the bed's astro image (which trusts the machine's CA bundle).
ARG BASE
FROM ${BASE} AS wheel
ARG UV_VERSION
USER root
RUN set -eux; \
	case "$(uname -m)" in \
		x86_64) platform=musllinux_1_1_x86_64 ;; \
		aarch64) platform=musllinux_1_1_aarch64 ;; \
		*) echo "no uv wheel for $(uname -m)" >&2; exit 1 ;; \
	esac; \
	python3 -m pip download --disable-pip-version-check --no-cache-dir -q --no-deps \
		--only-binary=:all: --platform "$platform" -d /tmp/wheel "uv==$UV_VERSION"; \
	python3 -m zipfile -e /tmp/wheel/uv-*.whl /tmp/uv; \
	install -m 0755 "/tmp/uv/uv-$UV_VERSION.data/scripts/uv" "/tmp/uv/uv-$UV_VERSION.data/scripts/uvx" /; \
	/uv --version

FROM scratch
COPY --from=wheel /uv /uvx /
WORKDIR /io
ENTRYPOINT ["/uv"]
