#!/usr/bin/env bash
# deploy/pg.sh - manage a private PostgreSQL 15 cluster that listens only on a
# Unix socket in DIR (no TCP). Used by `make run` (DIR=var/pg) and by the tests
# (DIR under a temporary directory).
#
#   pg.sh init DIR                 initdb into DIR/data (once)
#   pg.sh clone SRC DIR            DIR/data a copy of the stopped cluster SRC's
#                                  (its databases too): what the tests do
#                                  instead of an initdb per cluster
#   pg.sh start DIR                init if needed, start, create databases hcpd
#                                  and hcpd_keys (the keystore, HCPD_KEYSTORE_URL)
#   pg.sh stop DIR [fast|immediate]
#   pg.sh url DIR [DB]             print the libpq conninfo of database DB (hcpd)
#   pg.sh status DIR               exit 0 if running
#
# The socket is DIR/.s.PGSQL.5432, the server log DIR/postgres.log.
# initdb and postgres refuse to run as root: as root they run as the `postgres`
# system user (runuser), which then owns DIR and must be able to reach it.
#
# Only the cluster's owner reaches it: DIR is mode 0700 (so is the socket),
# and authentication is peer, with pg_ident.conf mapping the owner, root and
# the user who made the cluster to the superuser `postgres`; any other local
# user is refused (issue 18: `--auth=trust` on an open socket made every
# local user a superuser). A cluster made before is hardened at its next start.
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
PGPORT_FIXED=5432
prog=${0##*/}

# Settings from the environment must not redirect our client calls elsewhere.
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSERVICE PGSERVICEFILE \
	PGOPTIONS PGSSLMODE PGDATA PGPASSFILE

die() {
	echo "$prog: $*" >&2
	exit 1
}

usage() {
	echo "usage: $prog init|start|status DIR" >&2
	echo "       $prog clone SRC DIR" >&2
	echo "       $prog url DIR [hcpd|hcpd_keys]" >&2
	echo "       $prog stop DIR [fast|immediate]" >&2
	exit 2
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# abs_dir DIR: absolute path of DIR (which need not exist yet), no trailing /.
abs_dir() {
	local d
	d=$(realpath -m -- "$1") || die "cannot resolve directory '$1'"
	printf '%s\n' "$d"
}

# Unix socket paths are limited to 107 bytes.
check_socket_len() {
	local sock="$DIR/.s.PGSQL.$PGPORT_FIXED" n
	n=$(printf '%s' "$sock" | wc -c)
	if ((n > 107)); then
		die "socket path '$sock' is $n bytes, the limit is 107: use a shorter DIR"
	fi
}

# Run a PostgreSQL server-side binary (initdb, pg_ctl): as the postgres user
# when we are root. Runs from / so an unreadable cwd does not matter.
as_pg() {
	if is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

# As root: the postgres user must be able to traverse every parent of DIR.
check_traversable() {
	is_root || return 0
	getent passwd postgres >/dev/null ||
		die "no 'postgres' system user (install postgresql-15: deploy/deps.sh run)"
	local parent=${DIR%/*} path="" part
	[[ -n $parent ]] || parent=/
	# Fast path: one check for the whole chain.
	if runuser -u postgres -- test -x "$parent"; then
		return 0
	fi
	while [[ $path != "$parent" ]]; do
		part=${parent#"$path"/}
		path="$path/${part%%/*}"
		if ! runuser -u postgres -- test -x "$path"; then
			die "the postgres user (initdb/postgres cannot run as root) cannot enter '$path'," \
				"a parent of $DIR. Fix it with: chmod o+x '$path'" \
				"(or put the repository / DIR somewhere every user can reach, e.g. under /tmp or /srv)"
		fi
	done
	die "the postgres user cannot reach '$parent' (parent of $DIR)"
}

# As root: DIR (and whatever is in it) belongs to the postgres user.
own_dir() {
	is_root || return 0
	if [[ $(stat -c %U -- "$DIR") != postgres ]]; then
		chown -R postgres:postgres -- "$DIR"
	fi
}

running() {
	[[ -f $DIR/data/PG_VERSION ]] || return 1
	as_pg "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1
}

psql_pg() {
	"$PGBIN/psql" -X -q -h "$DIR" -p "$PGPORT_FIXED" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

cmd_init() {
	if [[ -f $DIR/data/PG_VERSION ]]; then
		return 0
	fi
	(umask 022 && mkdir -p -- "$DIR")
	check_traversable
	own_dir
	if [[ -e $DIR/data ]] && [[ -n $(ls -A -- "$DIR/data") ]]; then
		die "$DIR/data exists but holds no cluster (no PG_VERSION): remove it and retry"
	fi
	local out
	if ! out=$(as_pg "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth-local=peer \
		--auth-host=reject -E UTF8 --locale=C.UTF-8 2>&1); then
		printf '%s\n' "$out" >&2
		die "initdb failed (output above)"
	fi
	# The server log goes to DIR/postgres.log through `pg_ctl -l`, not here.
	local sockdir=${DIR//\'/\'\'}
	cat >>"$DIR/data/postgresql.conf" <<EOF

# --- hcpd private cluster (deploy/pg.sh): Unix socket only ---
listen_addresses = ''
unix_socket_directories = '$sockdir'
port = $PGPORT_FIXED
unix_socket_permissions = 0700
max_connections = 200
EOF
	own_dir
	harden
}

# A copy of a stopped cluster made here, pointed at its own socket: a
# file copy takes a tenth of initdb's time, and the tests make a cluster for
# almost every scenario that breaks things.
cmd_clone() {
	local src=$1 sockdir conf
	[[ -f $src/data/PG_VERSION ]] || die "$src holds no cluster"
	[[ ! -f $src/data/postmaster.pid ]] || die "$src is running: stop it first"
	[[ ! -e $DIR/data ]] || die "$DIR/data exists: remove it and retry"
	(umask 022 && mkdir -p -- "$DIR")
	check_traversable
	cp -a -- "$src/data" "$DIR/data"
	sockdir=${DIR//\'/\'\'}
	conf=$DIR/data/postgresql.conf
	grep -v '^unix_socket_directories = ' -- "$conf" >"$conf.new"
	printf "unix_socket_directories = '%s'\n" "$sockdir" >>"$conf.new"
	cat -- "$conf.new" >"$conf" # keeps the file's owner and mode
	rm -f -- "$conf.new"
	own_dir
	harden
}

# Peer authentication for the owner, root and the user who made the
# cluster, as `postgres`; DIR closed to everyone else. Idempotent: a cluster
# from before (trust) gets it at its next start, reloaded if running.
HBA_MARK="# hcpd private cluster (deploy/pg.sh): peer authentication only"
harden() {
	local data=$DIR/data me
	me=$(id -un)
	if ! grep -qxF -- "$HBA_MARK" "$data/pg_hba.conf" 2>/dev/null; then
		printf '%s\n%s\n' "$HBA_MARK" "local all postgres peer map=hcpd" >"$data/pg_hba.conf"
		{
			echo "# who may connect as the superuser postgres (deploy/pg.sh)"
			echo "hcpd postgres postgres"
			echo "hcpd root postgres"
			[[ $me == root || $me == postgres ]] || echo "hcpd $me postgres"
		} >"$data/pg_ident.conf"
		if is_root; then
			chown postgres:postgres -- "$data/pg_hba.conf" "$data/pg_ident.conf"
		fi
		if running; then
			as_pg "$PGBIN/pg_ctl" -D "$data" reload >/dev/null
		fi
	fi
	chmod 0700 -- "$DIR"
}

cmd_start() {
	cmd_init
	harden
	if ! running; then
		check_traversable
		own_dir
		if ! as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 30 start >/dev/null; then
			tail -n 20 -- "$DIR/postgres.log" >&2 || true
			die "PostgreSQL did not start (log: $DIR/postgres.log)"
		fi
	fi
	local db
	for db in hcpd hcpd_keys; do
		[[ $(psql_pg -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'") == 1 ]] && continue
		# Another start may race us to it: only fail if it is still missing.
		"$PGBIN/createdb" -h "$DIR" -p "$PGPORT_FIXED" -U postgres "$db" 2>/dev/null ||
			[[ $(psql_pg -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'") == 1 ]] ||
			die "could not create database $db"
	done
}

cmd_stop() {
	local mode=${1:-fast}
	case $mode in
	fast | immediate) ;;
	*) usage ;;
	esac
	running || return 0
	as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m "$mode" -w -t 60 stop >/dev/null ||
		die "PostgreSQL did not stop (log: $DIR/postgres.log)"
}

(($# >= 2)) || usage
cmd=$1
DIR=$(abs_dir "$2")
shift 2
check_socket_len

case $cmd in
init)
	(($# == 0)) || usage
	cmd_init
	;;
start)
	(($# == 0)) || usage
	cmd_start
	;;
clone)
	(($# == 1)) || usage
	# The copy's source is the first argument, the new cluster's DIR the second.
	src=$DIR
	DIR=$(abs_dir "$1")
	check_socket_len
	cmd_clone "$src"
	;;
stop)
	(($# <= 1)) || usage
	cmd_stop "$@"
	;;
url)
	(($# <= 1)) || usage
	db=${1:-hcpd}
	[[ $db == hcpd || $db == hcpd_keys ]] || usage
	# conninfo values with blanks, quotes or backslashes need quoting.
	if [[ $DIR =~ [[:space:]\'\\] ]]; then
		q=${DIR//\\/\\\\}
		q=${q//\'/\\\'}
		printf "host='%s' dbname=%s user=postgres\n" "$q" "$db"
	else
		printf 'host=%s dbname=%s user=postgres\n' "$DIR" "$db"
	fi
	;;
status)
	(($# == 0)) || usage
	running
	;;
*)
	usage
	;;
esac
