/*
 * qrsvg.c - QR codes as SVG (see qrsvg.h). libqrencode gives the module
 * matrix; the drawing is ours: one "h1v1h-1z" square per dark module.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <qrencode.h>

#include "qrsvg.h"

#define QUIET 4 /* modules of white around the code (ISO/IEC 18004) */

enum err qrsvg_make(const char *text, char **ret_svg)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	char *svg = NULL;
	size_t len = 0;
	FILE *out;
	int w;

	if (qr == NULL)
		return errno == ENOMEM ? ERR_NOMEM : ERR_INVALID;
	w = qr->width + 2 * QUIET;
	out = open_memstream(&svg, &len);
	if (out == NULL) {
		QRcode_free(qr);
		return ERR_NOMEM;
	}
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">"
		"<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		w, w, w, w);
	for (int y = 0; y < qr->width; y++)
		for (int x = 0; x < qr->width; x++)
			if (qr->data[y * qr->width + x] & 1)
				fprintf(out, "M%d %dh1v1h-1z", x + QUIET, y + QUIET);
	fputs("\"/></svg>", out);
	QRcode_free(qr);
	if (fclose(out) != 0 || svg == NULL) {
		free(svg);
		return ERR_NOMEM;
	}
	*ret_svg = svg;
	return ERR_OK;
}
