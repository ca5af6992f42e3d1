/*
 * fhir_verification.h - each verification of a professional as a FHIR R4
 * VerificationResult (http://hl7.org/fhir/R4/verificationresult.html), for
 * the export beside the Practitioner (fhir_practitioner.h). Pure: no I/O,
 * no state; unit-tested, and validated against the FHIR R4 JSON schema by
 * the integration tests.
 */
#ifndef HCPD_FHIR_VERIFICATION_H
#define HCPD_FHIR_VERIFICATION_H

#include <jansson.h>

#include "verifier.h"

/* The status a verification's outcome gives: "validated" (verified),
 * "val-fail" (mismatch, not_found, inactive, excluded), "req-revalid"
 * (error: no answer could be had). Static strings; NULL for another. */
const char *fhir_verification_status(const char *outcome);

/* One VerificationResult per entry of verifications (the export's
 * [{verifier, outcome, checked_at, ...}]), in their order: target the
 * Practitioner/<practitioner_id>, status, statusDate and lastPerformed the
 * check's time, validationType primary, primarySource the verifier (its
 * display name from set when still loaded, its name as identifier), and,
 * when validated, nextScheduled reverify_days after the check (the date
 * monitoring re-checks it). No value of the profile or the evidence goes
 * in. Returns a new array, or NULL without memory. */
json_t *fhir_verification_results(const char *practitioner_id, json_t *verifications,
				  const struct verifier_set *set, int reverify_days);

#endif
