/*
 * cli_marketing.h - marketing sent by another system, on the command
 * line: hcpd marketing headers ACCOUNT CHANNEL prints the RFC 8058 headers
 * a message must carry; hcpd marketing check ACCOUNT CHANNEL is the
 * send-time consent check (exit 0: may send, 1: may not, 2: bad input or
 * failure). Signatures as main.c's command table wants them.
 */
#ifndef HCPD_CLI_MARKETING_H
#define HCPD_CLI_MARKETING_H

struct app;

int cli_marketing_headers(struct app *app, int argc, char **argv);
int cli_marketing_check(struct app *app, int argc, char **argv);

#endif
