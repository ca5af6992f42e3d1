#!/usr/bin/env bash
# deploy/secrets.sh - make hcpd's secrets, each only if it does not exist yet
# (a key is never overwritten: losing the master key loses every account).
#
#   secrets.sh jwt FILE        EC P-256 private key (PEM) for HCPD_JWT_KEY_FILE
#   secrets.sh master FILE     32 random bytes as 64 hex characters (HCPD_MASTER_KEY_FILE)
#   secrets.sh compose DIR     all that deploy/compose.yaml mounts: jwt-es256.pem,
#                              master.key, db_password and pg_service.conf (libpq
#                              services "hcpd" on host "db" and "hcpd_keys" on
#                              host "keys", with that password)
#
# Files are written under a temporary name and moved into place, mode 0600.
# `compose` makes DIR mode 0700 and its files 0644 instead: Compose mounts
# file secrets as they are on the host, and the image runs as uid 10001.
# Prints "generated FILE" for each file it makes.
set -euo pipefail

prog=${0##*/}

die() {
	echo "$prog: $*" >&2
	exit 1
}

usage() {
	echo "usage: $prog jwt FILE | master FILE | compose DIR" >&2
	exit 2
}

# make_file FILE COMMAND...: COMMAND writes the content to stdout.
make_file() {
	local file=$1
	shift
	[[ -e $file ]] && return 0
	(
		umask 077
		"$@" >"$file.tmp"
		mv -n -- "$file.tmp" "$file"
		rm -f -- "$file.tmp"
	) || die "cannot write $file"
	echo "generated $file"
}

gen_jwt() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null; }
gen_master() { openssl rand -hex 32; }
gen_password() { openssl rand -hex 24; }

# A libpq connection service file: HCPD_DATABASE_URL="service=hcpd" and
# HCPD_KEYSTORE_URL="service=hcpd_keys" with PGSERVICEFILE pointing at it
# keep the password out of the environment.
gen_service() {
	local pw
	pw=$(cat "$1")
	printf '[hcpd]\nhost=db\nport=5432\ndbname=hcpd\nuser=hcpd\npassword=%s\n' "$pw"
	printf '[hcpd_keys]\nhost=keys\nport=5432\ndbname=hcpd_keys\nuser=hcpd\npassword=%s\n' "$pw"
}

(($# == 2)) || usage
case $1 in
jwt) make_file "$2" gen_jwt ;;
master) make_file "$2" gen_master ;;
compose)
	dir=$2
	mkdir -p -- "$dir"
	chmod 0700 -- "$dir"
	make_file "$dir/jwt-es256.pem" gen_jwt
	make_file "$dir/master.key" gen_master
	make_file "$dir/db_password" gen_password
	make_file "$dir/pg_service.conf" gen_service "$dir/db_password"
	chmod 0644 -- "$dir/jwt-es256.pem" "$dir/master.key" "$dir/db_password" \
		"$dir/pg_service.conf"
	;;
*) usage ;;
esac
