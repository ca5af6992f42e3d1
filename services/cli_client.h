/*
 * cli_client.h - service credentials on the command line (issue 25 item
 * 2): hcpd client create --name N --role R (prints the API key once),
 * hcpd client list, hcpd client revoke ID. Audited with actor "cli"
 * (staff.h). Signatures as main.c's command table wants them: -1 for
 * wrong arguments (usage is printed), else the exit status.
 */
#ifndef HCPD_CLI_CLIENT_H
#define HCPD_CLI_CLIENT_H

struct app;

int cli_client_create(struct app *app, int argc, char **argv);
int cli_client_list(struct app *app, int argc, char **argv);
int cli_client_revoke(struct app *app, int argc, char **argv);

#endif
