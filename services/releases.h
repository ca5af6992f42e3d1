/*
 * releases.h - the sender of activity releases (issue 25 item 1): the
 * fields a completion disclosed to an activity's sponsor or accreditor
 * (db/enrolments.h queues them in the ledger row's transaction), POSTed
 * to the recipient's url of the activities file, signed as webhooks are
 * (webhooks.h) with the recipient's release secret, and tried again with
 * a back-off until a 2xx reply or RELEASE_MAX_ATTEMPTS.
 *
 * The body: {"type": "activity.completion", "activity", "enrolment",
 * "disclosure_id", "fields": {name: value, ..., "completion_status"}} -
 * the values opened from the vault at send time, so an erased account
 * sends nothing (its release is cancelled), and a withdrawn enrolment or
 * a suspended recipient is never claimed. Nothing here logs a value or a
 * URL: a release's id, the recipient and an HTTP status at most.
 */
#ifndef HCPD_RELEASES_H
#define HCPD_RELEASES_H

#include "err.h"

struct app;
struct bgthread;

#define RELEASE_TYPE "activity.completion"

/* The release secret of recipient: "whsec_" + base64 of HMAC-SHA256 of
 * its name under app->release_key (from the master key), for
 * `hcpd activity secret NAME` to hand to the recipient. out: 64 bytes. */
void releases_secret(const struct app *app, const char *recipient, char out[64]);

/* Starts the sending thread (*ret_thread; stop it with bgthread_stop()).
 * ERR_NOMEM when it cannot start. Call after the signal mask is set. */
enum err releases_start(struct app *app, struct bgthread **ret_thread);

/* `hcpd activity secret NAME`: prints the release secret of recipient
 * NAME. 0, or 2 for a name that is not an activity recipient. */
int releases_secret_cmd(struct app *app, int argc, char **argv);

#endif
