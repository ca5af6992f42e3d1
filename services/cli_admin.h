/*
 * cli_admin.h - the staff commands of the command line: hcpd admin
 * create --email E [--role R], hcpd admin list, hcpd admin disable ID.
 * Each is audited with actor "cli" (staff.h). Signatures as main.c's
 * command table wants them: argc/argv are the command's own arguments;
 * -1 for wrong ones (usage is printed), else the exit status.
 */
#ifndef HCPD_CLI_ADMIN_H
#define HCPD_CLI_ADMIN_H

struct app;

int cli_admin_create(struct app *app, int argc, char **argv);
int cli_admin_list(struct app *app, int argc, char **argv);
int cli_admin_disable(struct app *app, int argc, char **argv);

#endif
