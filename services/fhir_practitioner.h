/*
 * fhir_practitioner.h - the professional's profile as a FHIR R4
 * Practitioner resource (http://hl7.org/fhir/R4/practitioner.html), for
 * the export. Pure: no I/O, no state; unit-tested, and validated against
 * the FHIR R4 JSON schema by the integration tests.
 */
#ifndef HCPD_FHIR_PRACTITIONER_H
#define HCPD_FHIR_PRACTITIONER_H

#include <jansson.h>

#define FHIR_SYSTEM_NPI "http://hl7.org/fhir/sid/us-npi"

/* A Practitioner with id, identifier (the NPI), name, telecom (email,
 * phone), address and qualification[]: the NPI, and the licence (code:
 * the profession; identifier: license_number; issuer: license_region and
 * country; period.end: license_expiry). profile holds catalogue field
 * names; absent fields are left out, never emitted empty. email may be
 * NULL. Returns a new reference, or NULL without memory. */
json_t *fhir_practitioner(const char *id, const char *email, json_t *profile);

#endif
