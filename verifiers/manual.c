/*
 * manual.c - the "manual" kind (see manual.h). A definition's own section:
 *   "manual": {
 *     "instructions": "what the admin searches and compares (required)",
 *     "search_url":   "{base_url}?number={mcr_number}"   (optional)
 *   }
 * search_url is a URL template like http_json's url, checked by the same
 * code (hj_template_check()) and filled by the same encoder (hj_fill()):
 * {base_url} (the register's public search page, "base_url" or
 * HCPD_REGISTRY_URL_<NAME>) opens it, and its placeholders, only in the
 * query, are exactly the definition's "fields": the values the link
 * carries to the register when the admin follows it. Without search_url
 * the definition has no fields and no base_url: where a register
 * publishes no search page, the definition says so in its "source" and
 * gives no URL. Owns only v->priv; never touches the network.
 */
#include <stdlib.h>
#include <string.h>

#include "http_json_def.h"
#include "jsonbody.h"
#include "lint.h"
#include "manual.h"

#define MANUAL_URL_MAX 4096 /* bytes of a built link */

struct manual_priv {
	const char *instructions; /* borrowed from v->doc */
	const char *search_url;   /* the template, or NULL */
};

/* why holds the first refusal; each is noted for lint (lint.h). */
static enum err refuse(char *why, size_t why_len, const char *rule)
{
	return lint_refuse(why, why_len, "\"manual\": %s", rule);
}

static enum err manual_init(struct verifier *v, json_t *conf, char *why, size_t why_len)
{
	static const char *const keys[] = {"instructions", "search_url", NULL};
	struct manual_priv *priv = v->priv;
	bool used[VERIFIER_FIELDS_MAX] = {false};
	const char *bad = NULL, *query;
	enum err err = ERR_OK;

	if (!json_is_object(conf) || !json_only_keys(conf, keys, &bad))
		return refuse(why, why_len,
			      "must be an object of \"instructions\" and \"search_url\" only");
	/* instructions and search_url each checked, so that lint names both */
	priv->instructions = json_text(conf, "instructions", 4000);
	if (priv->instructions == NULL)
		err = refuse(why, why_len, "\"instructions\" must be a non-empty string");
	if (json_object_get(conf, "search_url") == NULL) {
		if (v->nfields > 0 || v->base_url != NULL)
			return refuse(why, why_len,
				      "without \"search_url\" a register has no \"fields\" and no "
				      "\"base_url\"");
		return err;
	}
	priv->search_url = json_text(conf, "search_url", HJ_TEMPLATE_MAX);
	if (priv->search_url == NULL || v->base_url == NULL)
		return refuse(why, why_len,
			      "\"search_url\" must be a template opening with {base_url}, and "
			      "\"base_url\" the register's search page");
	if (hj_template_check(v, priv->search_url, true, "search_url", used, why, why_len) !=
		    ERR_OK ||
	    err != ERR_OK)
		return ERR_INVALID;
	/* values go in the query only: a path segment of dots would point
	 * the admin's browser at another page of the register's site */
	query = strchr(priv->search_url, '?');
	for (const char *p = strchr(priv->search_url + 10, '{'); p != NULL; p = strchr(p + 1, '{'))
		if (query == NULL || p < query)
			return refuse(why, why_len,
				      "\"search_url\" may fill fields in its query only");
	for (size_t i = 0; i < v->nfields; i++)
		if (!used[i])
			return refuse(
				why, why_len,
				"every field in \"fields\" must be filled into \"search_url\"");
	return ERR_OK;
}

const char *manual_instructions(const struct verifier *v)
{
	return ((const struct manual_priv *)v->priv)->instructions;
}

enum err manual_link(const struct verifier *v, json_t *profile, char **ret_url)
{
	const struct manual_priv *priv = v->priv;
	struct hj_buf b = {.cap = MANUAL_URL_MAX};

	*ret_url = NULL;
	if (priv->search_url == NULL)
		return ERR_OK;
	for (size_t i = 0; i < v->nfields; i++)
		if (!json_is_string(json_object_get(profile, v->fields[i]))) {
			*ret_url = strdup(v->base_url); /* the page, for a search by name */
			return *ret_url != NULL ? ERR_OK : ERR_NOMEM;
		}
	hj_fill(&b, priv->search_url, profile, v->base_url, true);
	if (b.nomem || b.too_big) {
		hj_buf_wipe(&b);
		return b.nomem ? ERR_NOMEM : ERR_INVALID;
	}
	*ret_url = b.s;
	return ERR_OK;
}

const struct verifier_ops verifier_manual = {
	.kind = "manual",
	.transport = TRANSPORT_MANUAL,           /* no job, no network, no ledger row */
	.priv_size = sizeof(struct manual_priv), /* the core allocates, zeroed */
	.init = manual_init,                     /* checks the "manual" section */
	.build_request = NULL,                   /* nothing is ever sent */
	.parse_reply = NULL,                     /* nothing ever answers */
	.check_local = NULL,                     /* an admin checks, by hand */
	.cleanup = NULL,                         /* priv holds borrowed strings only */
};
