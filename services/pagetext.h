/*
 * pagetext.h - the words of hcpd's account pages (services/pages/) in the
 * reader's language (issue 24). The pages are static files; their script
 * asks GET /account/strings.json, whose Accept-Language the browser sets,
 * and puts each text in the page (elements marked data-t, and its own
 * messages). Every text the pages show is a msgid listed here, so that
 * `make pot` extracts it; tests/integration/test_i18n.py checks the pages
 * use no other.
 */
#ifndef HCPD_PAGETEXT_H
#define HCPD_PAGETEXT_H

#include "http.h"

/* GET /account/strings.json: {"language": tag, "strings": {msgid: text}}
 * in the negotiated language, with the pages' headers. */
enum MHD_Result pagetext_reply(struct req *r);

#endif
