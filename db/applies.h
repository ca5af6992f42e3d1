/*
 * applies.h - which professionals a verifier applies to, in SQL: the twin
 * of verifier_applies() (verifiers/registry.c) for the statements that
 * queue jobs for many accounts at once (db_monitor_queue_due(),
 * db_roster_load()). The rule, in both: the account's country is one of
 * the verifier's countries, and its profession one of the verifier's
 * professions unless that list is empty (every profession). A missing
 * country or profession matches nothing (NULL = ANY(...) is not true).
 * Change both together; tests/unit/test_registry.c (C) and
 * tests/integration/test_applies.py (C against SQL) hold them to one table.
 */
#ifndef HCPD_APPLIES_H
#define HCPD_APPLIES_H

/* A WHERE condition, as a string literal, on the accounts row named
 * account (an alias, e.g. "a") and two text[] expressions, countries and
 * professions (e.g. "$2::text[]"), all string literals. */
#define DB_VERIFIER_APPLIES(account, countries, professions)                                       \
	"(" account ".profile_public->>'country' = ANY (" countries                                \
	") AND (cardinality(" professions ") = 0 OR " account                                      \
	".profile_public->>'profession' = ANY (" professions ")))"

#endif
