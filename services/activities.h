/*
 * activities.h - the activities file (services/activities.json,
 * HCPD_ACTIVITIES_FILE, issue 25 item 1): the activities a professional
 * may enrol in (a CME module, a symposium, a survey), each with the
 * service client that reports completion, its sponsor and its
 * accreditors, the fields each receives and where they are POSTed.
 *
 * Validated strictly at start-up against the recipients file: an unknown
 * key, a recipient that does not exist or is not of the right kind
 * (cme_sponsor for the sponsor, accreditor for the accreditors), a field
 * outside that recipient's terms' allowed_fields, terms that do not
 * allow completion_status, or a bad URL stop start-up with a message
 * naming the JSON path ("activities[0].sponsor.fields[2]"). Read-only
 * afterwards.
 */
#ifndef HCPD_ACTIVITIES_H
#define HCPD_ACTIVITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "err.h"

struct recipients;
struct activities;
struct recipient_def;

/* Sent to every recipient of an activity besides its configured fields:
 * the enrolment's outcome, which the recipient's terms must allow. */
#define ACTIVITY_COMPLETION_FIELD "completion_status"

#define ACTIVITY_FIELDS_MAX  32 /* fields per recipient */
#define ACTIVITY_TARGETS_MAX 9  /* the sponsor and up to 8 accreditors */

/* One recipient of an activity. Strings borrowed from the set. */
struct activity_target {
	const char *recipient;                   /* a recipients file name */
	const char *role;                        /* "sponsor" or "accreditor" */
	const char *fields[ACTIVITY_FIELDS_MAX]; /* catalogue names, no completion_status */
	size_t nfields;
	const char *url;                 /* where releases are POSTed (webhooks_url_rule()) */
	const struct recipient_def *def; /* the recipient and its terms (borrowed from the
					    recipients set, which outlives this one) */
};

struct activity {
	const char *id;   /* [a-z0-9-], unique */
	const char *kind; /* cme_module | symposium | survey */
	const char *title;
	const char *system_client; /* the activity_system client that reports completion */
	struct activity_target targets[ACTIVITY_TARGETS_MAX]; /* the sponsor first */
	size_t ntargets;
};

/* Loads and validates path against rcp. On ERR_INVALID or ERR_IO, why
 * names the file and the JSON path at fault. */
enum err activities_load(const char *path, const struct recipients *rcp,
			 struct activities **ret_set, char *why, size_t why_len);

/* The same from a parsed document (steals doc); name is used in messages.
 * For tests. */
enum err activities_from_json(json_t *doc, const char *name, const struct recipients *rcp,
			      struct activities **ret_set, char *why, size_t why_len);

/* Accepts NULL. */
void activities_free(struct activities *set);

/* The activity of that id, or NULL (set may be NULL). Pure. */
const struct activity *activities_find(const struct activities *set, const char *id);

/* Does an activity of set name recipient as its sponsor or an
 * accreditor? Pure. */
bool activities_name_recipient(const struct activities *set, const char *recipient);

#endif
