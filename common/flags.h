/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line flags from option tables, in kingpin's style (what
 * node_exporter and Prometheus use): --name=value or --name value, booleans
 * as --name / --no-name / --name=true|false, repeatable string lists.  One
 * table drives parsing, defaults and --help, so they cannot drift apart.
 */
#ifndef VIGIL_COMMON_FLAGS_H
#define VIGIL_COMMON_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct strlist;

enum flag_kind {
	FLAG_BOOL,     /* bool */
	FLAG_STRING,   /* char * (owned, replaced on each set) */
	FLAG_STRLIST,  /* struct strlist, appended on each occurrence */
	FLAG_DURATION, /* double seconds, Go/Prometheus duration syntax */
	FLAG_INT,      /* long */
	FLAG_BYTES,    /* double bytes, "512MB", "1GiB", or a plain number */
};

struct flag_def {
	const char *name;   /* without dashes: "web.listen-address" */
	enum flag_kind kind;
	void *dst;	    /* where the value goes, of the kind's C type */
	const char *defval; /* default as text (NULL: zero/empty), shown in --help */
	const char *help;
	const char *alias;  /* another accepted spelling, or NULL */
	bool *seen;	    /* set to true when given on the command line */
};

struct flag_table {
	const char *title; /* heading in --help */
	const struct flag_def *defs;
	size_t n;
};

/*
 * Apply the defaults of every table, then parse argv.  Positional arguments
 * (not starting with '-') are collected into positional when it is not
 * NULL, and rejected otherwise.  Returns 0, 1 when --help or --version was
 * asked (and *asked is set to 'h' or 'v'), or -EINVAL with a one-line
 * reason in errbuf.
 */
int flags_parse(int argc, char **argv, const struct flag_table *tables, size_t ntables,
		struct strlist *positional, char *asked, char *errbuf, size_t errlen);
/* Set one flag by name from text; 0 or -EINVAL/-ENOENT with errbuf. */
int flags_set(const struct flag_table *tables, size_t ntables, const char *name,
	      const char *value, char *errbuf, size_t errlen);
void flags_usage(FILE *out, const char *prog, const char *summary,
		 const struct flag_table *tables, size_t ntables);
/* Parse "true"/"false"/"1"/"0"; 0 or -EINVAL. */
int flags_parse_bool(const char *s, bool *out);
/* Parse a byte size like Prometheus's units ("512MB", "1GB", "1KiB"); 0 or -EINVAL. */
int flags_parse_bytes(const char *s, double *out);
/* Free the owned strings and lists the tables point at. */
void flags_free(const struct flag_table *tables, size_t ntables);

#endif
