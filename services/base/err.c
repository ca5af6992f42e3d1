/*
 * err.c - names for enum err, for logs and tests.
 *
 * Owns nothing. The names are stable: log queries and dashboards match on
 * them, so never rename one; add new codes at the end of the switch.
 */
#include "err.h"

const char *err_name(enum err err)
{
	switch (err) {
	case ERR_OK:
		return "ok";
	case ERR_NOMEM:
		return "nomem";
	case ERR_INVALID:
		return "invalid";
	case ERR_NOT_FOUND:
		return "not_found";
	case ERR_CONFLICT:
		return "conflict";
	case ERR_TOO_BIG:
		return "too_big";
	case ERR_BUSY:
		return "busy";
	case ERR_UNAVAILABLE:
		return "unavailable";
	case ERR_UPSTREAM:
		return "upstream";
	case ERR_DB:
		return "db";
	case ERR_CRYPTO:
		return "crypto";
	case ERR_IO:
		return "io";
	case ERR_INTERNAL:
		return "internal";
	}
	/* Not a default label, so -Wswitch flags a code added without a name. */
	return "unknown";
}
