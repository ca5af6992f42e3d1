/*
 * cli_recipient.h - the kill-switch on the command line (issue 25 item
 * 7): hcpd recipient suspend NAME --reason TEXT, hcpd recipient resume
 * NAME [--reason TEXT]. Audited with actor "cli" (staff.h). Signatures as
 * main.c's command table wants them: -1 for wrong arguments (usage is
 * printed), else the exit status (0 done, 1 no such recipient, 2 bad input).
 */
#ifndef HCPD_CLI_RECIPIENT_H
#define HCPD_CLI_RECIPIENT_H

struct app;

int cli_recipient_suspend(struct app *app, int argc, char **argv);
int cli_recipient_resume(struct app *app, int argc, char **argv);

#endif
