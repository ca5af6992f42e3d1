/*
 * manual.h - the "manual" kind (manual.c): a register an admin searches by
 * hand. hcpd sends it nothing, queues no job for it and records no ledger
 * row: the account goes to the admin queue (reason manual_check) and the
 * review item shows the register, a link to its public search page with
 * the professional's declared number filled in, and what to compare.
 */
#ifndef HCPD_MANUAL_H
#define HCPD_MANUAL_H

#include <jansson.h>

#include "err.h"
#include "verifier.h"

/* The admin's instructions for v (a manual register), borrowed. */
const char *manual_instructions(const struct verifier *v);

/* The link an admin follows for a professional whose profile is profile:
 * v's search_url with the fields it names filled in, percent-encoded, into
 * *ret_url (malloc'd; the caller frees it), or the search page alone
 * (base_url) when the profile lacks one of them, or NULL when v publishes
 * no search page. ERR_NOMEM. Pure. */
enum err manual_link(const struct verifier *v, json_t *profile, char **ret_url);

#endif
