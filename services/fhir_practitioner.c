/*
 * fhir_practitioner.c - profile to FHIR R4 Practitioner (see
 * fhir_practitioner.h). The mapping from catalogue fields to FHIR
 * elements lives here and nowhere else.
 */
#include <stdio.h>

#include "fhir_practitioner.h"

#define V2_0203    "http://terminology.hl7.org/CodeSystem/v2-0203"
#define PROFESSION "urn:hcpd:catalogue:profession"

static const char *field(json_t *profile, const char *name)
{
	return json_string_value(json_object_get(profile, name));
}

/* Appends item to obj[key] (an array made when needed); steals item. */
static void push(json_t *obj, const char *key, json_t *item)
{
	json_t *array = json_object_get(obj, key);

	if (array == NULL) {
		array = json_array();
		json_object_set_new(obj, key, array);
	}
	json_array_append_new(array, item);
}

/* "NPI" in HL7 v2 table 0203 (identifier types), as a CodeableConcept. */
static json_t *npi_concept(void)
{
	return json_pack("{s:[{s:s, s:s, s:s}]}", "coding", "system", V2_0203, "code", "NPI",
			 "display", "National provider identifier");
}

static json_t *human_name(json_t *profile)
{
	const char *given = field(profile, "given_name"), *middle = field(profile, "middle_name");
	const char *family = field(profile, "family_name");
	json_t *name = json_pack("{s:s}", "use", "official");

	if (name == NULL)
		return NULL;
	if (family != NULL)
		json_object_set_new(name, "family", json_string(family));
	if (given != NULL)
		push(name, "given", json_string(given));
	if (middle != NULL)
		push(name, "given", json_string(middle));
	return name;
}

/* The licence: what it is for, its number, who issued it, until when. */
static json_t *licence(json_t *profile)
{
	const char *profession = field(profile, "profession"),
		   *number = field(profile, "license_number");
	const char *region = field(profile, "license_region"), *country = field(profile, "country");
	const char *expiry = field(profile, "license_expiry");
	char text[128], issuer[64];
	json_t *q;

	if (number == NULL && region == NULL && expiry == NULL)
		return NULL; /* nothing is known of a licence */
	snprintf(text, sizeof(text), "%s licence",
		 profession != NULL ? profession : "professional");
	q = json_pack("{s:{s:s}}", "code", "text", text);
	if (q == NULL)
		return NULL;
	if (profession != NULL)
		push(json_object_get(q, "code"), "coding",
		     json_pack("{s:s, s:s}", "system", PROFESSION, "code", profession));
	if (number != NULL)
		push(q, "identifier", json_pack("{s:s}", "value", number));
	if (region != NULL) {
		snprintf(issuer, sizeof(issuer), "%s%s%s", country != NULL ? country : "",
			 country != NULL ? "-" : "", region);
		json_object_set_new(q, "issuer", json_pack("{s:s}", "display", issuer));
	}
	if (expiry != NULL)
		json_object_set_new(q, "period", json_pack("{s:s}", "end", expiry));
	return q;
}

json_t *fhir_practitioner(const char *id, const char *email, json_t *profile)
{
	const char *npi = field(profile, "npi"), *phone = field(profile, "phone");
	const char *address = field(profile, "postal_address");
	json_t *p = json_pack("{s:s, s:s}", "resourceType", "Practitioner", "id", id), *item;

	if (p == NULL)
		return NULL;
	if (npi != NULL)
		push(p, "identifier",
		     json_pack("{s:s, s:o, s:s, s:s}", "use", "official", "type", npi_concept(),
			       "system", FHIR_SYSTEM_NPI, "value", npi));
	if (field(profile, "given_name") != NULL || field(profile, "family_name") != NULL)
		push(p, "name", human_name(profile));
	if (email != NULL)
		push(p, "telecom",
		     json_pack("{s:s, s:s, s:s}", "system", "email", "value", email, "use",
			       "work"));
	if (phone != NULL)
		push(p, "telecom",
		     json_pack("{s:s, s:s, s:s}", "system", "phone", "value", phone, "use",
			       "work"));
	if (address != NULL)
		push(p, "address", json_pack("{s:s, s:s}", "use", "work", "text", address));
	if (npi != NULL)
		push(p, "qualification",
		     json_pack("{s:[{s:s, s:s}], s:o, s:{s:s}}", "identifier", "system",
			       FHIR_SYSTEM_NPI, "value", npi, "code", npi_concept(), "issuer",
			       "display", "Centers for Medicare & Medicaid Services (NPPES)"));
	if ((item = licence(profile)) != NULL)
		push(p, "qualification", item);
	return p;
}
