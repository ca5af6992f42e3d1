/*
 * httpquery.c - a request's query parameters, checked against the names a
 * route takes (http_query(), see http.h).
 */
#include <string.h>
#include <microhttpd.h>

#include "http.h"
#include "i18n.h"

/* http_query()'s pass over the parameters. */
struct query_scan {
	const char *const *names;
	const char **values;
	const char *why; /* the first rule broken, or NULL */
};

static enum MHD_Result query_one(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct query_scan *q = cls;
	size_t i;

	(void)kind;
	for (i = 0; q->names[i] != NULL && strcmp(q->names[i], key) != 0; i++)
		;
	if (q->names[i] == NULL)
		q->why = N_("unknown query parameter");
	else if (q->values[i] != NULL)
		q->why = N_("a query parameter is given more than once");
	else if (value == NULL || value[0] == '\0')
		q->why = N_("a query parameter has an empty value");
	else
		q->values[i] = value;
	return q->why == NULL ? MHD_YES : MHD_NO;
}

enum err http_query(struct req *r, const char *const *names, const char **values,
		    const char **ret_why)
{
	struct query_scan q = {.names = names, .values = values};

	for (size_t i = 0; names[i] != NULL; i++)
		values[i] = NULL;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_one, &q);
	if (q.why != NULL) {
		*ret_why = q.why;
		return ERR_INVALID;
	}
	return ERR_OK;
}
