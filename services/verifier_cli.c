/*
 * verifier_cli.c - `hcpd verifier list|lint|test` (see verifier_cli.h):
 * the integrator's tools that need neither a database nor the network.
 * lint is the start-up load of one file, every error named; test runs
 * recorded cases through the kind's own code (casefile.h): an HTTP kind's
 * request builder and reply parser, a roster's loader and matcher on its
 * file in memory, a process verifier's program against a local stub
 * (casestub.h) answering the recorded reply.
 * Owns what one command loads; prints JSON on stdout; logs failures once,
 * without a value from a definition or a case.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casefile.h"
#include "casestub.h"
#include "lint.h"
#include "log.h"
#include "verifier.h"
#include "verifier_cli.h"

#define EXIT_FAILED 1 /* the file or a case failed */
#define EXIT_USAGE  2 /* as main.c's */

static int fail(const char *what, const char *why)
{
	log_json(LOG_ERROR, what, json_pack("{s:s}", "reason", why));
	return EXIT_USAGE;
}

int verifier_cli_list(struct app *app, int argc, char **argv)
{
	json_t *list = json_array();

	(void)argc;
	(void)argv;
	for (size_t i = 0; list != NULL && i < verifier_set_count(app->verifiers); i++) {
		const struct verifier *v = verifier_set_at(app->verifiers, i);
		json_t *fields = json_array(), *compares = json_array();

		for (size_t k = 0; fields != NULL && k < v->nfields; k++)
			json_array_append_new(fields, json_string(v->fields[k]));
		for (size_t k = 0; compares != NULL && k < v->ncompares; k++)
			json_array_append_new(compares, json_string(v->compares[k]));
		json_array_append_new(
			list,
			json_pack("{s:s, s:s, s:s, s:O, s:O?, s:o?, s:o?, s:s?, s:s?, s:s}", "name",
				  v->name, "display_name", v->display_name, "kind", v->ops->kind,
				  "countries", v->countries, "professions", v->professions,
				  "fields", fields, "compares", compares, "base_url", v->base_url,
				  "terms_version",
				  v->recipient.name != NULL ? v->recipient.terms.version : NULL,
				  "file", v->file));
	}
	if (list == NULL || json_dumpf(list, stdout, JSON_INDENT(2)) != 0)
		return fail("verifier list failed", "out of memory");
	putchar('\n');
	json_decref(list);
	return 0;
}

/* errs as a JSON array of "$.path: rule" texts, with a last one saying
 * how many were left out past the bound. */
static json_t *errors_json(const struct lint_errors *errs)
{
	json_t *list = json_array();
	char more[64];

	for (size_t i = 0; list != NULL && i < errs->n; i++)
		json_array_append_new(list, json_string(errs->msg[i]));
	if (list != NULL && errs->dropped > 0) {
		snprintf(more, sizeof(more), "... and %zu more", errs->dropped);
		json_array_append_new(list, json_string(more));
	}
	return list;
}

/* Loads file alone into *ret_set as start-up would; the result printed
 * when print: {"file", "ok", "error"? (the first, as start-up says it),
 * "errors"? (every one, with its JSON path) | "off"?}. ERR_OK when it
 * loads. */
static enum err lint(struct app *app, const char *file, bool print, struct verifier_set **ret_set)
{
	char why[1024] = "";
	json_error_t jerr;
	json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr), *out;
	struct lint_errors *errs = calloc(1, sizeof(*errs));
	enum err err = ERR_INVALID;

	*ret_set = NULL;
	if (errs == NULL) {
		json_decref(doc);
		return ERR_NOMEM;
	}
	if (doc == NULL) {
		snprintf(why, sizeof(why), "%s: line %d, column %d: %s", file, jerr.line,
			 jerr.column, jerr.text);
	} else {
		lint_collect(errs);
		err = verifier_set_from_json(doc, file, app->catalogue, ret_set, why, sizeof(why));
		lint_collect(NULL);
	}
	out = json_pack("{s:s, s:b}", "file", file, "ok", err == ERR_OK || err == ERR_NOT_FOUND);
	if (out != NULL && err != ERR_OK)
		json_object_set_new(out, err == ERR_NOT_FOUND ? "off" : "error", json_string(why));
	if (out != NULL && err != ERR_OK && err != ERR_NOT_FOUND && errs->n > 0)
		json_object_set_new(out, "errors", errors_json(errs));
	free(errs);
	if (print && out != NULL) {
		json_dumpf(out, stdout, JSON_COMPACT);
		putchar('\n');
	}
	json_decref(out);
	return err;
}

int verifier_cli_lint(struct app *app, int argc, char **argv)
{
	struct verifier_set *set = NULL;
	enum err err;

	(void)argc;
	err = lint(app, argv[0], true, &set);
	verifier_set_free(set);
	return err == ERR_OK || err == ERR_NOT_FOUND ? 0 : EXIT_FAILED;
}

static int json_file(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".json") == 0;
}

static json_t *stub_sent(void *ctx)
{
	return case_stub_requests(ctx);
}

/* Case c against v, by its kind: an HTTP kind's request and reply, a
 * roster's file read into memory, a process verifier's program against
 * stub (started on the first such case). */
static enum err run_kind(const struct verifier *v, json_t *c, const char *dir,
			 struct case_stub **stub, char *why, size_t why_len)
{
	json_t *reply = json_object_get(c, "reply");
	const char *body = json_string_value(json_object_get(reply, "body"));
	enum err err;

	switch (v->ops->transport) {
	case TRANSPORT_LOCAL:
		return verifier_case_run_roster(v, c, dir, why, why_len);
	case TRANSPORT_PROCESS:
		if (!json_is_integer(json_object_get(reply, "status")) || body == NULL) {
			snprintf(why, why_len,
				 "case: a process case's reply is {status, body: text}");
			return ERR_INVALID;
		}
		if (*stub == NULL && (err = case_stub_start(stub)) != ERR_OK) {
			snprintf(why, why_len, "the local stub cannot listen");
			return err;
		}
		err = case_stub_reply(
			*stub, (int)json_integer_value(json_object_get(reply, "status")), body);
		if (err != ERR_OK)
			return err;
		return verifier_case_run_process(v, c, case_stub_origin(*stub), stub_sent, *stub,
						 why, why_len);
	default:
		return verifier_case_run(v, c, why, why_len);
	}
}

/* One case file of dir against v: its line printed; true when it passed. */
static bool run_case(const struct verifier *v, const char *dir, const char *name,
		     struct case_stub **stub)
{
	char path[4096], why[1024] = "";
	json_error_t jerr;
	json_t *c, *out;
	enum err err = ERR_INVALID;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	c = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (c == NULL)
		snprintf(why, sizeof(why), "line %d: %s", jerr.line, jerr.text);
	else
		err = run_kind(v, c, dir, stub, why, sizeof(why));
	out = json_pack("{s:s, s:b}", "case", name, "ok", err == ERR_OK);
	if (out != NULL && err != ERR_OK)
		json_object_set_new(out, "why", json_string(why[0] != '\0' ? why : err_name(err)));
	if (out != NULL) {
		json_dumpf(out, stdout, JSON_COMPACT);
		putchar('\n');
	}
	json_decref(out);
	json_decref(c);
	return err == ERR_OK;
}

int verifier_cli_test(struct app *app, int argc, char **argv)
{
	struct verifier_set *set = NULL;
	struct dirent **names = NULL;
	struct case_stub *stub = NULL;
	int n, passed = 0, failed = 0;

	(void)argc;
	if (lint(app, argv[0], false, &set) != ERR_OK) {
		lint(app, argv[0], true, &set); /* say why on stdout too */
		verifier_set_free(set);
		return EXIT_FAILED;
	}
	n = scandir(argv[1], &names, json_file, alphasort);
	if (n < 0) {
		verifier_set_free(set);
		return fail("verifier test failed", "the cases directory cannot be read");
	}
	for (int i = 0; i < n; i++) {
		if (run_case(verifier_set_at(set, 0), argv[1], names[i]->d_name, &stub))
			passed++;
		else
			failed++;
		free(names[i]);
	}
	free(names);
	case_stub_free(stub);
	verifier_set_free(set);
	printf("{\"passed\":%d,\"failed\":%d}\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : EXIT_FAILED;
}
