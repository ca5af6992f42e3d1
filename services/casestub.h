/*
 * casestub.h - a one-reply HTTP stub on 127.0.0.1 for `hcpd verifier
 * test` on a process verifier (verifier_cli.c): the program the definition
 * names is run against it as against its register, the stub answers with
 * the case's recorded reply and keeps the request the program sent, so
 * that the case can compare it. Nothing here logs.
 */
#ifndef HCPD_CASESTUB_H
#define HCPD_CASESTUB_H

#include <jansson.h>

#include "err.h"

struct case_stub;

/* Listens on 127.0.0.1, a port the kernel picks. ERR_IO when it cannot. */
enum err case_stub_start(struct case_stub **ret_stub);

/* "http://127.0.0.1:PORT": the stub's origin, borrowed. */
const char *case_stub_origin(const struct case_stub *stub);

/* Sets the reply every request gets from now on (body copied) and
 * forgets the requests kept. ERR_NOMEM. */
enum err case_stub_reply(struct case_stub *stub, int status, const char *body);

/* The requests received since case_stub_reply(), a new array of
 * {"method", "path" (without the query), "headers": {lower-case name:
 * value}, "body", "too_big"}. NULL when out of memory. */
json_t *case_stub_requests(struct case_stub *stub);

/* Stops the stub and frees it. Accepts NULL. */
void case_stub_free(struct case_stub *stub);

#endif
