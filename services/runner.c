/*
 * runner.c - the verification job runner (see runner.h). Owns its thread,
 * the libcurl multi handle, the checks in flight (each with its request,
 * transfer or program, and the account's data key, wiped when it ends)
 * and each verifier's circuit breaker (breaker.c). Borrows pooled database
 * connections for one transaction at a time.
 *
 * It logs what a job did - job id, verifier, outcome, attempt - and never
 * a field value, a URL or a reply: those may be personal.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "breaker.h"
#include "check.h"
#include "db.h"
#include "jobkeys.h"
#include "jsontext.h"
#include "ledger.h"
#include "log.h"
#include "mailer.h"
#include "net.h"
#include "outbox.h"
#include "pace.h"
#include "recipients.h"
#include "runner.h"
#include "spawn.h"
#include "vault.h"
#include "verdict.h"

#define IDLE_MS       250  /* between looks for due jobs when there were none */
#define DB_RETRY_MS   1000 /* after the database could not be had */
#define ACQUIRE_MS    200  /* wait for a pooled connection */
#define LEASE_SLACK   5000 /* lease beyond twice an attempt's own timeout */
#define LOCAL_BATCH   32   /* roster checks per transaction */
#define PACE_HOLD_MS  1000 /* a claimed batch has left within this, well inside its lease */
#define MAX_VERIFIERS BREAKERS_MAX

/* One check in flight. */
struct check {
	struct check *next;
	const struct verifier *v;
	size_t vi; /* v's index in the set */
	long long job_id;
	char account_id[UUID_STR_LEN];
	int attempt;                       /* this attempt's number, from 1 */
	bool probe;                        /* the half-open breaker's probe */
	bool waiting;                      /* claimed, not yet sent: launch_due() */
	unsigned char key[CRYPTO_KEY_LEN]; /* the account's data key: seals evidence */
	json_t *local;                     /* the fields parse_reply compares */
	struct verifier_request req;
	struct net_xfer *xfer; /* TRANSPORT_HTTP */
	struct spawn *proc;    /* TRANSPORT_PROCESS */
};

struct runner {
	struct app *app;
	/* the definitions its checks run under: app->verifiers when it took
	 * them; a reload (main.c) installs another set, taken by adopt() */
	const struct verifier_set *set;
	pthread_t thread;
	atomic_bool stopping;
	CURLM *multi;
	char owner[JOB_OWNER_MAX];
	struct check *checks; /* waiting or in flight, in the order claimed */
	int nchecks;
	int waiting_for[MAX_VERIFIERS];
	long long next_send[MAX_VERIFIERS]; /* monotonic us: the verifier's next turn */
	size_t nverifiers;
	struct breaker breakers[MAX_VERIFIERS];
	long long next_claim[MAX_VERIFIERS]; /* monotonic ms: not before */
	size_t rotate;                       /* the verifier looked at first */
	unsigned seed;
	bool db_failing; /* logged once per outage */
};

/* Checks this process finished, by verifier (set order) and outcome. */
static atomic_ulong checks_done[MAX_VERIFIERS][OUTCOME_ERROR + 1];

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long runner_backoff_ms(int backoff_ms, int attempt, long retry_after_s, unsigned rnd)
{
	long long d = backoff_ms, cap = 5 * 60 * 1000;

	for (int i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	d = d / 2 + (long long)(rnd % (unsigned)(d / 2 + 1)); /* [d/2, d] */
	if (retry_after_s > 3600)
		retry_after_s = 3600;
	if (retry_after_s >= 0 && d < retry_after_s * 1000LL)
		d = retry_after_s * 1000LL;
	return d;
}

/* --- recording -------------------------------------------------------- */

/* Stores a finished check of c in the caller's transaction and moves the
 * account's status. ERR_NOT_FOUND: the job is no longer ours (cancelled,
 * erased, taken over) and nothing was stored. */
static enum err record(struct runner *r, PGconn *conn, const struct check *c,
		       const struct verifier_result *res, const unsigned char *reply_sha256,
		       const char *error)
{
	char *checks = json_text_dump(res->checks, JSON_COMPACT | JSON_SORT_KEYS);
	char *evidence = json_text_dump(res->evidence, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char *sealed = NULL;
	struct job_outcome o = {
		.outcome = outcome_name(res->outcome),
		.reason = res->reason,
		.reply_sha256 = reply_sha256,
		.licence_expires = res->expires[0] != '\0' ? res->expires : NULL,
		.error = error,
	};
	struct job_facts facts;
	enum account_status to;
	bool moved = false;
	enum err err = ERR_NOMEM;

	if (checks == NULL || evidence == NULL)
		goto out;
	if (json_object_size(res->evidence) > 0) {
		err = vault_seal(c->key, c->account_id, "evidence", evidence, strlen(evidence),
				 &sealed, &o.evidence_len);
		if (err != ERR_OK)
			goto out;
		o.evidence_enc = sealed;
	}
	o.checks = checks;
	err = db_job_done(conn, c->job_id, r->owner, c->account_id, &o, &facts);
	if (err != ERR_OK)
		goto out;
	err = verdict_checked(conn, r->set, c->account_id, &facts, res->outcome, &moved, &to);
	if (err == ERR_OK) /* counted before the commit: a failed one may count twice */
		atomic_fetch_add_explicit(&checks_done[c->vi][res->outcome], 1,
					  memory_order_relaxed);
	log_json(LOG_INFO, "verification done",
		 json_pack("{s:I, s:s, s:s, s:i, s:s?}", "job", (json_int_t)c->job_id, "verifier",
			   c->v->name, "outcome", o.outcome, "attempt", c->attempt, "status",
			   moved ? status_name(to) : NULL));
out:
	if (evidence != NULL)
		explicit_bzero(evidence, strlen(evidence));
	free(evidence);
	free(checks);
	free(sealed);
	return err;
}

/* record() for an ending that is not a registry's answer. */
static enum err record_error(struct runner *r, PGconn *conn, const struct check *c,
			     const char *reason, const char *error)
{
	struct verifier_result res;
	enum err err = verifier_result_init(&res, OUTCOME_ERROR, "%s", reason);

	if (err == ERR_OK)
		err = record(r, conn, c, &res, NULL, error);
	verifier_result_release(&res);
	return err;
}

/* Runs fn(r, conn, c, ...) in a transaction of its own on a pooled
 * connection. */
static enum err in_transaction(struct runner *r,
			       enum err (*fn)(struct runner *, PGconn *, struct check *, void *),
			       struct check *c, void *arg)
{
	PGconn *conn = NULL;
	enum err err = db_acquire(r->app->db, ACQUIRE_MS * 10, &conn);

	if (err == ERR_OK)
		err = db_begin(conn);
	if (err == ERR_OK)
		err = fn(r, conn, c, arg);
	err = db_end(conn, err);
	db_release(r->app->db, conn);
	return err;
}

struct ending {
	const struct verifier_result *res; /* an answer, or NULL for a failure */
	const unsigned char *reply_sha256;
	const char *error;  /* the failure's name */
	long retry_after_s; /* -1: none */
};

/* An attempt ended: store the answer, or retry, or give up. */
static enum err settle(struct runner *r, PGconn *conn, struct check *c, void *arg)
{
	const struct ending *e = arg;
	long long delay;

	if (e->res != NULL)
		return record(r, conn, c, e->res, e->reply_sha256, NULL);
	if (e->retry_after_s >= 0 && db_bucket_pause(conn, c->v->name, e->retry_after_s) != ERR_OK)
		return ERR_DB;
	if (c->attempt >= c->v->attempts)
		return record_error(r, conn, c, "registry unavailable", e->error);
	delay = runner_backoff_ms(c->v->backoff_ms, c->attempt, e->retry_after_s,
				  (unsigned)rand_r(&r->seed));
	return db_job_retry(conn, c->job_id, r->owner, delay, e->error);
}

static void check_free(struct runner *r, struct check *c)
{
	if (c == NULL)
		return;
	net_free(r->multi, c->xfer);
	spawn_free(c->proc);
	verifier_request_release(&c->req);
	json_decref(c->local);
	explicit_bzero(c->key, sizeof(c->key));
	free(c);
}

/* Takes c out of the list of checks in flight and frees it. */
static void check_end(struct runner *r, struct check *c)
{
	for (struct check **p = &r->checks; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			r->nchecks--;
			break;
		}
	check_free(r, c);
}

/* A reply (HTTP or a program's) in hand: parse it and settle the job. */
static void conclude(struct runner *r, struct check *c, long status, const char *body, size_t len,
		     const char *failure, long retry_after_s)
{
	struct verifier_reply reply = {.status = status, .body = body, .len = len};
	struct verifier_result res = {0};
	unsigned char sha[32];
	struct ending e = {.error = failure, .retry_after_s = retry_after_s};
	enum err err;

	if (failure == NULL) {
		err = verifier_conclude(c->v, c->local, &reply, &res, sha);
		if (err == ERR_OK) {
			e.res = &res;
			e.reply_sha256 = sha;
		} else {
			e.error = err == ERR_NOMEM ? "nomem" : "bad_reply";
		}
	}
	breaker_note(&r->breakers[c->vi], c->vi, c->v->name, c->v->breaker_failures, c->probe,
		     e.res != NULL, now_ms());
	err = in_transaction(r, settle, c, &e);
	if (err != ERR_OK && err != ERR_NOT_FOUND)
		log_json(LOG_WARN, "cannot record a verification; its lease will lapse",
			 json_pack("{s:I, s:s, s:s}", "job", (json_int_t)c->job_id, "verifier",
				   c->v->name, "error", err_name(err)));
	verifier_result_release(&res);
	check_end(r, c);
}

static void http_done(struct runner *r, struct check *c)
{
	struct net_xfer *x = c->xfer;
	const char *failure = net_failure(x);

	conclude(r, c, x->http_status, x->body, x->len, failure,
		 failure != NULL ? x->retry_after : -1);
}

static void process_done(struct runner *r, struct check *c, enum spawn_status st)
{
	size_t len = 0;
	const char *out = spawn_output(c->proc, &len);

	conclude(r, c, spawn_exit_code(c->proc), out, len,
		 st == SPAWN_EXITED ? NULL : spawn_status_name(st), -1);
}

/* --- claiming --------------------------------------------------------- */

/* Opens a claimed job's profile (and email, if v receives it) into
 * *ret_profile with the key opened before the claim, which goes to
 * c->key. ERR_NOT_FOUND: erased. Pure. */
static enum err open_profile(const struct jobkey *jk, const struct job_claim *jc, struct check *c,
			     json_t **ret_profile)
{
	const struct verifier *v = c->v;
	json_t *profile = NULL;
	char *email = NULL;
	bool wants_email = false;
	enum err err = jk->err;

	for (size_t i = 0; i < v->nfields; i++)
		wants_email = wants_email || strcmp(v->fields[i], "email") == 0;
	for (size_t i = 0; i < v->ncompares; i++)
		wants_email = wants_email || strcmp(v->compares[i], "email") == 0;
	if (err == ERR_OK)
		err = vault_open_values(jk->key, &jc->account, wants_email ? &email : NULL,
					&profile);
	if (err == ERR_OK && wants_email &&
	    json_object_set_new(profile, "email", json_string(email)) != 0)
		err = ERR_NOMEM;
	vault_wipe_free(email);
	if (err != ERR_OK) {
		json_decref(profile);
		return err;
	}
	memcpy(c->key, jk->key, sizeof(c->key));
	*ret_profile = profile;
	return ERR_OK;
}

/* A local check sends nothing, so the gate is not asked; but it is still
 * processing, which consent withdrawn or restriction forbids: the
 * processing part of the gate is (gate_processing()). */
static enum err local_refusal(PGconn *conn, const char *account_id, enum gate_rule *ret_rule)
{
	struct gate_facts f;
	enum err err = db_gate_facts(conn, account_id, "", &f);

	if (err != ERR_OK)
		return err;
	*ret_rule = gate_processing(&f, "licensure_verification");
	gate_facts_release(&f);
	return ERR_OK;
}

/* A check that may not run: its job is cancelled with why, and the
 * account moves on (verdict_refused()). */
static enum err refuse(PGconn *conn, const struct job_claim *jc, const char *why)
{
	enum err err = db_job_cancel(conn, jc->id, why);

	if (err == ERR_OK)
		err = verdict_refused(conn, jc->account.id);
	if (err == ERR_OK)
		log_json(LOG_INFO, "verification refused",
			 json_pack("{s:I, s:s}", "job", (json_int_t)jc->id, "why", why));
	return err;
}

/* The names of the fields in sent, in v's order (borrowed from v). */
static size_t sent_names(const struct verifier *v, json_t *sent, const char **names)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nfields; i++)
		if (json_object_get(sent, v->fields[i]) != NULL)
			names[n++] = v->fields[i];
	return n;
}

/* A verifier suspended since its job's claim: retried, no one blamed. */
static struct ending suspended = {.error = "recipient_suspended", .retry_after_s = -1};

/* Prepares one claimed job inside the claim's transaction. A check to
 * send is left in *ret_send; one settled here (local, refused, failed
 * fast) is recorded now. */
static enum err prepare(struct runner *r, PGconn *conn, const struct job_claim *jc,
			const struct jobkey *jk, size_t vi, bool fail_fast, bool probe,
			struct check **ret_send)
{
	const struct verifier *v = verifier_set_at(r->set, vi);
	struct check *c = calloc(1, sizeof(*c));
	json_t *profile = NULL, *sent = NULL;
	const char *names[VERIFIER_FIELDS_MAX];
	struct verifier_result res = {0};
	enum gate_rule rule = GATE_ALLOWED;
	char why[VERIFIER_REASON_MAX] = "", cancel[48];
	bool over = jc->attempts >= v->attempts; /* its last attempt's worker died */
	enum err err;

	if (c == NULL)
		return ERR_NOMEM;
	c->v = v;
	c->vi = vi;
	c->job_id = jc->id;
	c->probe = probe;
	snprintf(c->account_id, sizeof(c->account_id), "%s", jc->account.id);
	c->attempt = over ? jc->attempts : jc->attempts + 1;
	err = open_profile(jk, jc, c, &profile);
	if (err == ERR_NOT_FOUND || err == ERR_CRYPTO || err == ERR_INTERNAL) {
		/* erased, or values that do not open: nothing to check, and a
		 * job that cannot run must not block the others */
		err = db_job_cancel(conn, jc->id, err == ERR_NOT_FOUND ? "erased" : "unreadable");
		goto out;
	}
	if (err == ERR_OK)
		err = verifier_fields(v, profile, &sent, &c->local);
	if (err == ERR_OK)
		err = db_job_start(conn, jc->id, r->owner, 2 * v->timeout_ms + LEASE_SLACK, !over);
	if (err != ERR_OK)
		goto out;
	if (over) {
		err = record_error(r, conn, c, "registry unavailable", "lease_lapsed");
		goto out;
	}
	if (v->ops->transport == TRANSPORT_LOCAL) {
		err = local_refusal(conn, jc->account.id, &rule);
		if (err != ERR_OK || rule != GATE_ALLOWED)
			goto refused;
		err = v->ops->check_local(v, conn, c->local, &res);
		if (err == ERR_OK)
			err = record(r, conn, c, &res, NULL, NULL);
		goto out;
	}
	err = v->ops->build_request(v, sent, &c->req, why, sizeof(why));
	if (err == ERR_INVALID) {
		err = record_error(r, conn, c, why, "unusable_fields");
		goto out;
	}
	if (err != ERR_OK)
		goto out;
	if (fail_fast) { /* the circuit is open: nothing is sent */
		struct ending e = {.error = "circuit_open", .retry_after_s = -1};

		err = settle(r, conn, c, &e);
		goto out;
	}
	{
		struct disclosure_req d = {
			.subject = jc->account.id,
			.recipient = v->name,
			.purpose = v->recipient.terms.purpose,
			.fields = names,
			.nfields = sent_names(v, sent, names),
			.job_id = jc->id,
			.actor = "system",
		};

		/* a request carrying no field of the professional's is still a
		 * flow about them: without a field to record, nothing goes */
		if (d.nfields == 0) {
			err = record_error(r, conn, c, "no field to send", "unusable_fields");
			goto out;
		}
		err = ledger_disclose(conn, &d, &rule);
	}
	if (err == ERR_OK && rule == GATE_ALLOWED) {
		*ret_send = c;
		c = NULL;
	}
refused: /* by the gate: a disclosure's refusal is in the audit log */
	if (err == ERR_OK && rule != GATE_ALLOWED) {
		snprintf(cancel, sizeof(cancel), "refused:%s", gate_rule_name(rule));
		err = rule == GATE_RECIPIENT_SUSPENDED ? settle(r, conn, c, &suspended)
		      : rule == GATE_ERASED            ? db_job_cancel(conn, jc->id, cancel)
						       : refuse(conn, jc, cancel);
	}
out:
	verifier_result_release(&res);
	json_decref(profile);
	json_decref(sent);
	check_free(r, c);
	return err;
}

/* Puts a prepared check at the end of the line, to leave in its
 * verifier's turn (launch_due()); it takes a place in flight now. */
static void wait_turn(struct runner *r, struct check *c)
{
	struct check **p = &r->checks;

	while (*p != NULL)
		p = &(*p)->next;
	*p = c;
	c->waiting = true;
	r->nchecks++;
	r->waiting_for[c->vi]++;
	if (c->probe) /* no second probe while this one waits */
		r->breakers[c->vi].probing = true;
}

/* Starts the transfer or program of a waiting check, or settles it as a
 * failed attempt when it cannot start. */
static void launch(struct runner *r, struct check *c)
{
	enum err err;

	c->waiting = false;
	r->waiting_for[c->vi]--;
	if (c->v->ops->transport == TRANSPORT_HTTP)
		err = net_start(r->multi, c->v, &c->req, c, &c->xfer);
	else
		err = spawn_start(c->req.argv, c->req.env, c->req.body, c->req.body_len,
				  VERIFIER_REPLY_MAX, c->v->timeout_ms, &c->proc);
	curl_multi_perform(r->multi, &(int){0}); /* out now, not after the next claim */
	if (err != ERR_OK)
		conclude(r, c, 0, NULL, 0, "cannot_start", -1);
}

/* Launches each waiting check whose verifier's turn has come, oldest
 * first: turns are 1/rate apart (pace.h; less only where a batch would
 * wait over PACE_HOLD_MS), so what was claimed together does not leave
 * together. */
static void launch_due(struct runner *r)
{
	long long now = now_ms() * 1000;

	for (struct check *c = r->checks, *next; c != NULL; c = next) {
		next = c->next; /* launch() may end c */
		if (c->waiting &&
		    pace_take(&r->next_send[c->vi], now,
			      pace_interval_us(c->v->rate_per_second, c->v->burst, PACE_HOLD_MS)))
			launch(r, c);
	}
}

/* Claims and prepares up to want due jobs of verifier vi in one
 * transaction; after it commits, puts what is to be sent in line. */
static void claim(struct runner *r, size_t vi, int want)
{
	const struct verifier *v = verifier_set_at(r->set, vi);
	struct job_claim *jobs = NULL;
	struct jobkeys keys = {0};
	struct check *send = NULL, *c;
	long long now = now_ms(), wait_ms = 0;
	enum breaker_turn turn = breaker_turn(&r->breakers[vi], vi, now, v->breaker_open_ms);
	bool local = v->ops->transport == TRANSPORT_LOCAL, probe = turn == BREAKER_PROBE,
	     fail_fast = turn == BREAKER_FAIL_FAST;
	PGconn *conn = NULL;
	size_t n = 0, ready;
	int granted;
	enum err err;

	if (turn == BREAKER_WAIT) {
		r->next_claim[vi] = now + IDLE_MS;
		return;
	}
	if (probe) /* half open: one request decides */
		want = 1;
	if (local && want > LOCAL_BATCH)
		want = LOCAL_BATCH;
	if (!local && !fail_fast && want > v->burst - r->waiting_for[vi])
		want = v->burst - r->waiting_for[vi]; /* the bucket holds no more; some wait */
	if (want <= 0) {
		r->next_claim[vi] = r->next_send[vi] / 1000 + 1;
		return;
	}
	err = db_acquire(r->app->db, ACQUIRE_MS, &conn);
	if (err == ERR_OK) /* the keys first: the keystore is never read in a transaction */
		err = jobkeys_open(r->app, conn, v->name, want, &keys);
	if (err == ERR_OK)
		err = db_begin(conn);
	if (err == ERR_OK)
		err = db_jobs_claim(conn, v->name, want, &jobs, &n);
	if (err != ERR_OK)
		goto out;
	r->next_claim[vi] = now + (n < (size_t)want ? IDLE_MS : 0);
	ready = jobkeys_front(&keys, jobs, n);
	granted = (int)ready;
	if (ready > 0 && !local && !fail_fast) {
		err = db_bucket_take(conn, v->name, v->rate_per_second, v->burst, (int)ready,
				     &granted, &wait_ms);
		if (err != ERR_OK)
			goto out;
		if (granted < (int)ready)
			r->next_claim[vi] = now + (wait_ms > 0 ? wait_ms : 1);
	}
	for (int i = 0; err == ERR_OK && i < granted; i++) {
		c = NULL;
		err = prepare(r, conn, &jobs[i], jobkeys_find(&keys, &jobs[i]), vi, fail_fast,
			      probe, &c);
		if (c != NULL) {
			c->next = send;
			send = c;
		}
	}
out:
	err = db_end(conn, err);
	db_release(r->app->db, conn);
	job_claims_free(jobs, n);
	jobkeys_release(&keys);
	if (err != ERR_OK) {
		if (!r->db_failing)
			log_json(LOG_WARN, "cannot claim verification jobs; retrying",
				 json_pack("{s:s, s:s}", "verifier", v->name, "error",
					   err_name(err)));
		r->db_failing = true;
		r->next_claim[vi] = now + DB_RETRY_MS;
	} else {
		r->db_failing = false;
	}
	while (send != NULL) {
		c = send;
		send = c->next;
		c->next = NULL;
		if (err == ERR_OK)
			wait_turn(r, c); /* committed: the disclosure is on record */
		else
			check_free(r, c);
	}
}

/* --- the loop --------------------------------------------------------- */

static void poll_once(struct runner *r, long long timeout)
{
	struct curl_waitfd fds[1024];
	unsigned nfds = 0;
	struct check *c, *next;
	CURLMsg *msg;
	int running, left;

	for (c = r->checks; c != NULL; c = c->next)
		if (c->proc != NULL && spawn_fd(c->proc) >= 0 && nfds < 1024) {
			fds[nfds].fd = spawn_fd(c->proc);
			fds[nfds].events = CURL_WAIT_POLLIN;
			fds[nfds].revents = 0;
			nfds++;
		}
	curl_multi_poll(r->multi, fds, nfds, (int)timeout, NULL);
	launch_due(r); /* a turn that woke us, before any answer is recorded */
	curl_multi_perform(r->multi, &running);
	while ((msg = curl_multi_info_read(r->multi, &left)) != NULL) {
		struct net_xfer *x;

		if (msg->msg != CURLMSG_DONE)
			continue;
		x = net_of(msg->easy_handle);
		if (!net_done(x, msg->data.result))
			continue; /* sent again with a fresh OAuth2 token */
		http_done(r, x->owner);
		launch_due(r); /* recording takes a while: turns come meanwhile */
	}
	for (c = r->checks; c != NULL; c = next) {
		enum spawn_status st;

		next = c->next;
		if (c->proc != NULL && (st = spawn_step(c->proc)) != SPAWN_RUNNING)
			process_done(r, c, st);
	}
}

/* How long the loop may sleep: until a verifier may be claimed for
 * again or a program needs looking at. */
static long long sleep_ms(struct runner *r, long long now)
{
	long long t = IDLE_MS;

	if (r->nchecks < r->app->cfg.verify_concurrency)
		for (size_t i = 0; i < r->nverifiers; i++)
			if (r->next_claim[i] - now < t)
				t = r->next_claim[i] - now;
	for (struct check *c = r->checks; c != NULL; c = c->next)
		if (c->proc != NULL && spawn_wait_ms(c->proc) < t)
			t = spawn_wait_ms(c->proc);
		else if (c->waiting && (r->next_send[c->vi] + 999) / 1000 - now < t)
			t = (r->next_send[c->vi] + 999) / 1000 - now; /* its turn */
	return t > 0 ? t : 0;
}

/* Takes the definitions a reload installed once none of the old set's
 * checks waits or is in flight (those finish under the set they started
 * with; meanwhile nothing new is claimed): per-verifier state starts
 * afresh, as at start-up. false while it waits. */
static bool adopt(struct runner *r)
{
	const struct verifier_set *now = r->app->verifiers;

	if (now == r->set)
		return true;
	if (r->nchecks > 0)
		return false;
	r->set = now;
	r->nverifiers = verifier_set_count(now);
	memset(r->waiting_for, 0, sizeof(r->waiting_for));
	memset(r->next_send, 0, sizeof(r->next_send));
	breakers_reset(r->breakers, MAX_VERIFIERS, true);
	memset(r->next_claim, 0, sizeof(r->next_claim));
	for (size_t i = 0; i < MAX_VERIFIERS; i++)
		for (int o = 0; o <= OUTCOME_ERROR; o++) /* counters by index: a new count */
			atomic_store(&checks_done[i][o], 0);
	log_json(LOG_INFO, "verification runner took the reloaded definitions",
		 json_pack("{s:i}", "verifiers", (int)r->nverifiers));
	return true;
}

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	char why[256];

	while (!atomic_load(&r->stopping)) {
		long long now = now_ms();
		bool current = adopt(r);

		/* the gate knows no recipient until they are stored */
		if (!atomic_load(&r->app->recipients_synced) &&
		    recipients_sync_app(r->app, why, sizeof(why)) != ERR_OK) {
			poll_once(r, DB_RETRY_MS);
			continue;
		}
		for (size_t k = 0; current && k < r->nverifiers; k++) {
			size_t vi = (r->rotate + k) % r->nverifiers;
			int room = r->app->cfg.verify_concurrency - r->nchecks;

			/* a manual register has no job: an admin checks it */
			if (verifier_set_at(r->set, vi)->ops->transport == TRANSPORT_MANUAL)
				continue;
			if (room > 0 && now >= r->next_claim[vi])
				claim(r, vi, room);
		}
		launch_due(r);
		r->rotate++;
		poll_once(r, sleep_ms(r, now_ms()));
	}
	return NULL;
}

enum err runner_start(struct app *app, struct runner **ret_runner)
{
	struct runner *r;
	char host[32] = "";
	unsigned char rnd[6];

	*ret_runner = NULL;
	if (app->cfg.verify_concurrency == 0 || verifier_set_count(app->verifiers) == 0)
		return ERR_OK;
	if (verifier_set_count(app->verifiers) > MAX_VERIFIERS)
		return ERR_INVALID;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ERR_NOMEM;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->multi = curl_multi_init()) == NULL ||
	    crypto_random(rnd, sizeof(rnd)) != ERR_OK)
		goto fail;
	r->app = app;
	r->set = app->verifiers;
	r->nverifiers = verifier_set_count(r->set);
	atomic_init(&r->stopping, false);
	curl_multi_setopt(r->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  (long)app->cfg.verify_concurrency);
	gethostname(host, sizeof(host) - 1);
	snprintf(r->owner, sizeof(r->owner), "%s:%ld:%02x%02x%02x%02x%02x%02x", host,
		 (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	r->seed = (unsigned)rnd[0] << 8 | rnd[1];
	if (pthread_create(&r->thread, NULL, runner_main, r) != 0)
		goto fail;
	breakers_reset(r->breakers, MAX_VERIFIERS, true);
	log_json(LOG_INFO, "verification runner started",
		 json_pack("{s:i, s:i}", "verifiers", (int)r->nverifiers, "concurrency",
			   app->cfg.verify_concurrency));
	*ret_runner = r;
	return ERR_OK;
fail:
	if (r != NULL)
		curl_multi_cleanup(r->multi);
	free(r);
	curl_global_cleanup();
	return ERR_NOMEM;
}

void runner_stop(struct runner *r)
{
	PGconn *conn = NULL;

	if (r == NULL)
		return;
	atomic_store(&r->stopping, true);
	curl_multi_wakeup(r->multi);
	pthread_join(r->thread, NULL);
	breakers_reset(r->breakers, MAX_VERIFIERS, false);
	while (r->checks != NULL)
		check_end(r, r->checks);
	if (db_acquire(r->app->db, ACQUIRE_MS * 5, &conn) == ERR_OK)
		db_jobs_release(conn, r->owner);
	db_release(r->app->db, conn);
	curl_multi_cleanup(r->multi);
	curl_global_cleanup();
	free(r);
}

void runner_metrics_render(const struct verifier_set *set, FILE *f)
{
	fputs("# HELP hcpd_verification_checks_total Checks this process finished, by verifier "
	      "and outcome (error: after every attempt).\n"
	      "# TYPE hcpd_verification_checks_total counter\n",
	      f);
	for (size_t i = 0; i < verifier_set_count(set) && i < MAX_VERIFIERS; i++)
		for (int o = OUTCOME_VERIFIED; o <= OUTCOME_ERROR; o++)
			fprintf(f,
				"hcpd_verification_checks_total{verifier=\"%s\",outcome=\"%s\"} "
				"%lu\n",
				verifier_set_at(set, i)->name, outcome_name((enum outcome)o),
				atomic_load_explicit(&checks_done[i][o], memory_order_relaxed));
}
