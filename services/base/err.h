/*
 * err.h - the one error code every fallible function in hcpd returns.
 *
 * Modules below the service layer (db/, verifiers/, crypto, validators)
 * return these and never log above debug; services/problem.c maps each one
 * to an HTTP status and an RFC 9457 body in exactly one place.
 */
#ifndef HCPD_ERR_H
#define HCPD_ERR_H

enum err {
	ERR_OK = 0,
	ERR_NOMEM,       /* an allocation failed */
	ERR_INVALID,     /* the input is malformed or breaks a rule */
	ERR_NOT_FOUND,   /* no such object */
	ERR_CONFLICT,    /* a uniqueness or state conflict */
	ERR_TOO_BIG,     /* an input exceeds its declared cap */
	ERR_BUSY,        /* a bounded queue or pool is full: try again later */
	ERR_UNAVAILABLE, /* a dependency (the database) cannot serve now: retry */
	ERR_UPSTREAM,    /* a remote registry failed */
	ERR_DB,          /* the database answered with an unexpected error */
	ERR_CRYPTO,      /* a cryptographic operation failed (bad key, bad tag) */
	ERR_IO,          /* a file could not be read or written */
	ERR_INTERNAL,    /* a bug: should never happen */
};

/* A short, stable, lower-case name for logs ("nomem", "invalid", ...). */
const char *err_name(enum err err);

#endif
