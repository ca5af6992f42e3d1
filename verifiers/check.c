/*
 * check.c - one check of a professional by a verifier (see check.h): the
 * blocking whole for `hcpd verifier check`, and the reply step the job
 * runner takes too. Owns nothing past the call; logs nothing.
 */
#include <stdio.h>

#include "check.h"
#include "crypto.h"
#include "net.h"
#include "spawn.h"

enum err verifier_conclude(const struct verifier *v, json_t *local,
			   const struct verifier_reply *reply, struct verifier_result *ret_res,
			   unsigned char ret_sha[32])
{
	enum err err = v->ops->parse_reply(v, local, reply, ret_res);

	if (err == ERR_OK)
		crypto_sha256(reply->body, reply->len, ret_sha);
	return err;
}

enum err verifier_check_once(const struct verifier *v, PGconn *conn, json_t *profile,
			     struct verifier_result *ret_res, char ret_sha[65])
{
	struct verifier_request req = {0};
	struct net_xfer *x = NULL;
	struct spawn *proc = NULL;
	struct verifier_reply reply = {0};
	json_t *sent = NULL, *local = NULL;
	const char *failure = NULL;
	unsigned char sha[32];
	char why[VERIFIER_REASON_MAX] = "";
	enum err err = verifier_fields(v, profile, &sent, &local);

	ret_sha[0] = '\0';
	if (err != ERR_OK)
		return err;
	if (v->ops->transport == TRANSPORT_MANUAL) {
		err = ERR_INVALID; /* nothing to run: an admin checks it by hand */
		goto out;
	}
	if (v->ops->transport == TRANSPORT_LOCAL) {
		err = conn != NULL ? v->ops->check_local(v, conn, local, ret_res) : ERR_UNAVAILABLE;
		goto out;
	}
	err = v->ops->build_request(v, sent, &req, why, sizeof(why));
	if (err == ERR_INVALID) {
		err = verifier_result_init(ret_res, OUTCOME_ERROR, "%s", why);
		goto out;
	}
	if (err != ERR_OK)
		goto out;
	if (v->ops->transport == TRANSPORT_HTTP) {
		err = net_fetch(v, &req, &x);
		if (err == ERR_UPSTREAM) { /* the OAuth2 token endpoint granted none */
			failure = "no_token";
			err = ERR_OK;
		} else if (err == ERR_OK) {
			failure = net_failure(x);
			reply = (struct verifier_reply){x->http_status, x->body, x->len};
		}
	} else {
		err = spawn_run(req.argv, req.env, req.body, req.body_len, VERIFIER_REPLY_MAX,
				v->timeout_ms, &proc);
		if (err == ERR_OK) {
			enum spawn_status st = spawn_step(proc);

			failure = st == SPAWN_EXITED ? NULL : spawn_status_name(st);
			reply.status = spawn_exit_code(proc);
			reply.body = spawn_output(proc, &reply.len);
		}
	}
	if (err != ERR_OK)
		goto out;
	if (failure == NULL) {
		err = verifier_conclude(v, local, &reply, ret_res, sha);
		if (err == ERR_OK) {
			crypto_hex(sha, sizeof(sha), ret_sha);
			goto out;
		}
		if (err != ERR_UPSTREAM)
			goto out;
		failure = "bad_reply";
	}
	err = verifier_result_init(ret_res, OUTCOME_ERROR, "registry unavailable (%s)", failure);
out:
	net_free(NULL, x);
	spawn_free(proc);
	verifier_request_release(&req);
	json_decref(sent);
	json_decref(local);
	return err;
}
