/*
 * verifier_cli.h - the integrator's `hcpd verifier` subcommands that need
 * no database (verifier_cli.c): list the loaded definitions, lint one
 * file, run one file's recorded cases. main.c's command table calls them;
 * each prints JSON on stdout and logs failures as main.c does.
 */
#ifndef HCPD_VERIFIER_CLI_H
#define HCPD_VERIFIER_CLI_H

#include "app.h"

/* hcpd verifier list: every loaded definition, as a JSON array. Exit 0. */
int verifier_cli_list(struct app *app, int argc, char **argv);

/* hcpd verifier lint FILE: the start-up checks on one definition file
 * (with app's catalogue and the environment, as start-up reads it).
 * Prints {"file", "ok", "error"?: the first error, naming the file and
 * the JSON key at fault; "off"?: why it would be left out}. Exit 0 when
 * it loads, 1 when it does not. */
int verifier_cli_lint(struct app *app, int argc, char **argv);

/* hcpd verifier test FILE CASES_DIR: the definition linted, then every
 * *.json case of CASES_DIR (casefile.h's format) run against it without
 * network or database; one JSON line per case {"case", "ok", "why"?} and
 * a last {"passed", "failed"}. Exit 0 when all pass, 1 otherwise. */
int verifier_cli_test(struct app *app, int argc, char **argv);

#endif
