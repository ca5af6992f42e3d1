/*
 * qrsvg.h - a QR code (libqrencode) drawn as an SVG image, for the
 * otpauth:// URI an authenticator app scans at enrolment.
 */
#ifndef HCPD_QRSVG_H
#define HCPD_QRSVG_H

#include "err.h"

/* The QR code of text (error correction M, version as small as fits) as
 * an SVG document: one path of dark modules on a white square with the
 * four-module quiet zone. *ret_svg is malloc'd, the caller's to free.
 * ERR_INVALID when text does not fit a QR code, ERR_NOMEM. */
enum err qrsvg_make(const char *text, char **ret_svg);

#endif
