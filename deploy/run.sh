#!/usr/bin/env bash
# deploy/run.sh - what `make run` executes once bin/hcpd is built: a private
# PostgreSQL cluster under var/pg (Unix socket only), keys under var/ (made
# once, mode 0600), `hcpd migrate`, then `hcpd serve` in the foreground until
# Ctrl-C, which stops hcpd and then PostgreSQL.
#
# HCPD_DATABASE_URL, HCPD_KEYSTORE_URL, HCPD_JWT_KEY_FILE, HCPD_MASTER_KEY_FILE,
# HCPD_LISTEN and HCPD_METRICS_LISTEN already set in the environment are
# respected. When
# HCPD_DATABASE_URL is set, no private cluster is started: that database is
# used instead (with HCPD_KEYSTORE_URL, or the same one for the keystore).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
prog=run.sh
hcpd=$root/bin/hcpd
pg=$root/deploy/pg.sh
pgdir=var/pg

die() {
	echo "$prog: $*" >&2
	exit 1
}

[[ -x $hcpd ]] || die "$hcpd not found: build it first (make)"

hcpd_pid=""
own_pg=0

# Invoked from the traps below only.
# shellcheck disable=SC2317
cleanup() {
	trap - INT TERM EXIT
	if [[ -n $hcpd_pid ]] && kill -0 "$hcpd_pid" 2>/dev/null; then
		kill -TERM "$hcpd_pid" 2>/dev/null || true
		wait "$hcpd_pid" 2>/dev/null || true
	fi
	if ((own_pg)); then
		"$pg" stop "$pgdir" fast || true
	fi
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

# var/ must stay traversable (0755) even under a strict umask: as root the
# cluster under it runs as the postgres user.
if [[ ! -d var ]]; then
	(umask 022 && mkdir -p var)
fi

if [[ -z ${HCPD_DATABASE_URL:-} ]]; then
	own_pg=1
	"$pg" init "$pgdir"
	"$pg" start "$pgdir"
	HCPD_DATABASE_URL=$("$pg" url "$pgdir")
	: "${HCPD_KEYSTORE_URL:=$("$pg" url "$pgdir" hcpd_keys)}"
fi
: "${HCPD_KEYSTORE_URL:=$HCPD_DATABASE_URL}"

# Keys: made once, never overwritten (deploy/secrets.sh).
if [[ -z ${HCPD_JWT_KEY_FILE:-} ]]; then
	HCPD_JWT_KEY_FILE=$root/var/jwt-es256.pem
	"$root/deploy/secrets.sh" jwt "$HCPD_JWT_KEY_FILE" | sed "s/\$/ (EC P-256 JWT signing key)/; s/^/$prog: /"
fi
if [[ -z ${HCPD_MASTER_KEY_FILE:-} ]]; then
	HCPD_MASTER_KEY_FILE=$root/var/master.key
	"$root/deploy/secrets.sh" master "$HCPD_MASTER_KEY_FILE" | sed "s/\$/ (master key)/; s/^/$prog: /"
fi
: "${HCPD_LISTEN:=127.0.0.1:8080}"
: "${HCPD_METRICS_LISTEN:=127.0.0.1:9464}"
export HCPD_DATABASE_URL HCPD_KEYSTORE_URL HCPD_JWT_KEY_FILE HCPD_MASTER_KEY_FILE HCPD_LISTEN \
	HCPD_METRICS_LISTEN

"$hcpd" migrate

# shq STRING: STRING quoted for a POSIX shell, in single quotes.
shq() {
	local q=\'
	printf "'%s'" "${1//$q/$q\\$q$q}"
}

base="http://$HCPD_LISTEN"
metrics="http://$HCPD_METRICS_LISTEN/metrics (the metrics listener, not the API's port)"
[[ $HCPD_METRICS_LISTEN == off ]] && metrics="off (HCPD_METRICS_LISTEN=off)"
cat <<EOF

hcpd is starting.
  API base URL:         $base/
  registration schema:  $base/v1/registration/schema
  admin page:           $base/admin/
  metrics:              $metrics
  create an admin (password on stdin), from $root:
    HCPD_DATABASE_URL=$(shq "$HCPD_DATABASE_URL") HCPD_KEYSTORE_URL=$(shq "$HCPD_KEYSTORE_URL") HCPD_MASTER_KEY_FILE=$(shq "$HCPD_MASTER_KEY_FILE") bin/hcpd admin create --email you@example.org
Ctrl-C stops hcpd and PostgreSQL.

EOF

"$hcpd" serve &
hcpd_pid=$!
status=0
wait "$hcpd_pid" || status=$?
hcpd_pid=""
exit "$status"
