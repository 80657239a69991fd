# A stand-in for the official python:<X.Y.Z>-slim-bookworm image (docker-library/python,
# Dockerfile-linux.template, slim variant), for the image provider to copy CPython out
# of. The bed cannot pull it, so tests/bed/setup.sh builds it from the mirror's tarball,
# the way the official one is built: same build dependencies, configure flags, relinking
# of the python binary with an $ORIGIN rpath, clean-up, apt-mark of the runtime libraries,
# symlinks, ENV and CMD. It differs in:
#   - no PGO/LTO (--enable-optimizations --with-lto): those take far too long here;
#   - no GPG check: the tarball is the pristine one from Debian's source package (its
#     SHA-256 is still checked), fetched from PYTHON_MIRROR, which setup.sh serves on
#     127.0.0.1 (build with --network host);
#   - FROM the bed's bare image (debootstrap minbase) instead of debian:bookworm-slim,
#     so it carries the machine's CA bundle and PIP_CERT/SSL_CERT_FILE/UV_NATIVE_TLS,
#     which the real image lacks; the first RUN gives it the apt settings the official
#     Debian images carry, so the build dependencies are purged and no .deb stays.
# Versions before 3.12 get no frame pointers, before 3.13 ENV LANG, 3.10 and 3.11 the
# setuptools and wheel the official image adds (from PyPI), as the template does.
ARG BASE
ARG PYTHON_MINOR

FROM ${BASE} AS env-3.10
ENV LANG=C.UTF-8
FROM env-3.10 AS env-3.11
FROM env-3.10 AS env-3.12
FROM ${BASE} AS env-3.13
FROM env-3.13 AS env-3.14

FROM env-${PYTHON_MINOR}

# what debian:bookworm-slim has in /etc/apt/apt.conf.d (debuerreotype)
RUN set -eux; \
	cd /etc/apt/apt.conf.d; \
	echo 'Apt::AutoRemove::SuggestsImportant "false";' > docker-autoremove-suggests; \
	clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"'; \
	{ \
		echo "DPkg::Post-Invoke { $clean; };"; \
		echo "APT::Update::Post-Invoke { $clean; };"; \
		echo 'Dir::Cache::pkgcache "";'; \
		echo 'Dir::Cache::srcpkgcache "";'; \
	} > docker-clean; \
	echo 'Acquire::GzipIndexes "true";' > docker-gzip-indexes; \
	echo 'Acquire::Languages "none";' > docker-no-languages; \
	rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin

# ensure local python is preferred over distribution python
ENV PATH=/usr/local/bin:$PATH

# runtime dependencies
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		ca-certificates \
		netbase \
		tzdata \
	; \
	rm -rf /var/lib/apt/lists/*

ARG PYTHON_VERSION
ARG PYTHON_SHA256
ARG PYTHON_MIRROR
ENV PYTHON_VERSION=${PYTHON_VERSION}
ENV PYTHON_SHA256=${PYTHON_SHA256}

RUN set -eux; \
	\
	savedAptMark="$(apt-mark showmanual)"; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		dpkg-dev \
		gcc \
		libbluetooth-dev \
		libbz2-dev \
		libc6-dev \
		libdb-dev \
		libffi-dev \
		libgdbm-dev \
		liblzma-dev \
		libncursesw5-dev \
		libreadline-dev \
		libsqlite3-dev \
		libssl-dev \
		make \
		tk-dev \
		uuid-dev \
		wget \
		xz-utils \
		zlib1g-dev \
	; \
	\
	wget -q -O python.tar.xz "$PYTHON_MIRROR/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz"; \
	echo "$PYTHON_SHA256 *python.tar.xz" | sha256sum -c -; \
	mkdir -p /usr/src/python; \
	tar --extract --directory /usr/src/python --strip-components=1 --file python.tar.xz; \
	rm python.tar.xz; \
	\
	cd /usr/src/python; \
	gnuArch="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)"; \
	./configure \
		--build="$gnuArch" \
		--enable-loadable-sqlite-extensions \
		--enable-option-checking=fatal \
		--enable-shared \
		--with-ensurepip \
	; \
	nproc="$(nproc)"; \
	EXTRA_CFLAGS="$(dpkg-buildflags --get CFLAGS)"; \
	LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"; \
	LDFLAGS="${LDFLAGS:-} -Wl,--strip-all"; \
	case "$PYTHON_VERSION" in \
		3.10.* | 3.11.*) ;; \
		*) \
			arch="$(dpkg --print-architecture)"; arch="${arch##*-}"; \
			case "$arch" in \
				amd64 | arm64) \
					EXTRA_CFLAGS="${EXTRA_CFLAGS:-} -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer"; \
					;; \
				i386) \
					;; \
				*) \
					EXTRA_CFLAGS="${EXTRA_CFLAGS:-} -fno-omit-frame-pointer"; \
					;; \
			esac; \
			;; \
	esac; \
	make -s -j "$nproc" \
		"EXTRA_CFLAGS=${EXTRA_CFLAGS:-}" \
		"LDFLAGS=${LDFLAGS:-}" \
	; \
# prevent accidental usage of a system installed libpython of the same version
	rm python; \
	make -s -j "$nproc" \
		"EXTRA_CFLAGS=${EXTRA_CFLAGS:-}" \
		"LDFLAGS=${LDFLAGS:-} -Wl,-rpath='\$\$ORIGIN/../lib'" \
		python \
	; \
	make -s install >/dev/null; \
	\
	cd /; \
	rm -rf /usr/src/python; \
	\
	find /usr/local -depth \
		\( \
			\( -type d -a \( -name test -o -name tests -o -name idle_test \) \) \
			-o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \
		\) -exec rm -rf '{}' + \
	; \
	\
	ldconfig; \
	\
	apt-mark auto '.*' > /dev/null; \
	apt-mark manual $savedAptMark; \
	find /usr/local -type f -executable -not \( -name '*tkinter*' \) -exec ldd '{}' ';' \
		| awk '/=>/ { so = $(NF-1); if (index(so, "/usr/local/") == 1) { next }; gsub("^/(usr/)?", "", so); printf "*%s\n", so }' \
		| sort -u \
		| xargs -rt dpkg-query --search \
		| awk 'sub(":$", "", $1) { print $1 }' \
		| sort -u \
		| xargs -r apt-mark manual \
	; \
	apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
	rm -rf /var/lib/apt/lists/*; \
	\
	export PYTHONDONTWRITEBYTECODE=1; \
	python3 --version; \
	case "$PYTHON_VERSION" in \
		3.10.* | 3.11.*) \
			pip3 install \
				--disable-pip-version-check \
				--no-cache-dir \
				--no-compile \
				'setuptools==79.0.1' \
				'wheel<0.46' \
			; \
			;; \
	esac; \
	pip3 --version

# make some useful symlinks that are expected to exist ("/usr/local/bin/python" and friends)
RUN set -eux; \
	for src in idle3 pip3 pydoc3 python3 python3-config; do \
		dst="$(echo "$src" | tr -d 3)"; \
		[ -s "/usr/local/bin/$src" ]; \
		[ ! -e "/usr/local/bin/$dst" ]; \
		ln -svT "$src" "/usr/local/bin/$dst"; \
	done

CMD ["python3"]
