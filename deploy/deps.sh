#!/usr/bin/env bash
# deploy/deps.sh GROUP... - make sure the Debian packages hcpd needs are installed.
#
# Groups: build (compile bin/hcpd), run (PostgreSQL, openssl for `make run`),
# test (everything `make test` uses), bench (`make bench` beyond build and
# run: wrk, and the Python modules its driver imports from the test
# helpers; pgbench comes with postgresql-15), runtime (what an installed bin/hcpd
# needs without the build group: the container image's runtime stage
# installs exactly this; a test checks it against `ldd bin/hcpd`). Runs
# before every build, so the common case (nothing missing) is one
# dpkg-query call and no output.
# Missing packages: as root they are installed with apt-get; as any other user
# the exact command to run is printed to stderr and the script exits 1.
# `deps.sh --print GROUP...` only prints the groups' packages, one a line.
set -euo pipefail

prog=${0##*/}

usage() {
	echo "usage: $prog [--print] GROUP...   (groups: build run test fuzz bench runtime)" >&2
	exit 2
}

print=0
if [[ ${1:-} == --print ]]; then
	print=1
	shift
fi
(($# > 0)) || usage

pkgs=()
for group in "$@"; do
	case $group in
	build)
		pkgs+=(gcc make pkgconf libmicrohttpd-dev libpq-dev libjansson-dev
			libjwt-dev libargon2-dev libcurl4-openssl-dev libssl-dev libzxcvbn-dev
			libqrencode-dev libzip-dev gettext)
		;;
	run)
		pkgs+=(postgresql-15 openssl)
		;;
	test)
		pkgs+=(python3-pytest python3-pytest-xdist python3-yaml python3-jsonschema python3-jwt
			python3-aiosmtpd python3-cryptography clang-format valgrind
			chromium)
		# Offline checks of deploy/: compose file schema, systemd unit.
		pkgs+=(docker-compose systemd yamllint)
		# Any npm will do (a machine may already have a non-Debian node+npm).
		if ! command -v npm >/dev/null 2>&1; then
			pkgs+=(npm)
		fi
		;;
	fuzz)
		pkgs+=(clang libclang-rt-14-dev)
		;;
	bench)
		pkgs+=(wrk python3 python3-yaml python3-jsonschema python3-cryptography python3-pytest)
		;;
	runtime)
		# One package per library bin/hcpd links (libcrypto.so.3: libssl3),
		# then CA roots for TLS to registries and curl for health checks.
		pkgs+=(libmicrohttpd12 libpq5 libjansson4 libjwt0 libargon2-1 libcurl4
			libssl3 libzxcvbn0 libqrencode4 libzip4 ca-certificates curl)
		# The shipped nl-big-register verifier's program is Python 3.
		pkgs+=(python3)
		;;
	-h | --help)
		usage
		;;
	*)
		echo "$prog: unknown group '$group'" >&2
		usage
		;;
	esac
done

if ((print)); then
	printf '%s\n' "${pkgs[@]}"
	exit 0
fi

# One dpkg-query for all packages. Unknown packages make it complain and exit
# non-zero; they simply count as missing.
declare -A installed=()
while read -r name want _ status; do
	if [[ $status == installed && ($want == install || $want == hold) ]]; then
		installed[$name]=1
	fi
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null || true)

declare -A seen=()
missing=()
for p in "${pkgs[@]}"; do
	if [[ -z ${installed[$p]:-} && -z ${seen[$p]:-} ]]; then
		missing+=("$p")
	fi
	seen[$p]=1
done

((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
	{
		echo "$prog: missing Debian packages: ${missing[*]}"
		echo "$prog: install them as root, then retry:"
		echo "sudo apt-get install -y --no-install-recommends ${missing[*]}"
	} >&2
	exit 1
fi

echo "$prog: installing missing Debian packages: ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
