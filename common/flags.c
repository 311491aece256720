// SPDX-License-Identifier: Apache-2.0
#include "common/flags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/strutil.h"

int flags_parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "true") || !strcmp(s, "1")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(s, "false") || !strcmp(s, "0")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

int flags_parse_bytes(const char *s, double *out)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
		{ "TiB", 1099511627776.0 }, { "PiB", 1125899906842624.0 }, { "EiB", 1152921504606846976.0 },
		{ "KB", 1024.0 }, { "MB", 1048576.0 }, { "GB", 1073741824.0 },
		{ "TB", 1099511627776.0 }, { "PB", 1125899906842624.0 }, { "EB", 1152921504606846976.0 },
		{ "B", 1.0 }, { "", 1.0 },
	};
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			*out = v * units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

static int assign(const struct flag_def *d, const char *value, char *errbuf, size_t errlen)
{
	switch (d->kind) {
	case FLAG_BOOL:
		if (flags_parse_bool(value, d->dst) < 0)
			goto bad;
		return 0;
	case FLAG_STRING: {
		char **dst = d->dst;
		free(*dst);
		*dst = xstrdup(value);
		return 0;
	}
	case FLAG_STRLIST:
		strlist_push(d->dst, value);
		return 0;
	case FLAG_DURATION:
		if (parse_duration(value, d->dst) < 0)
			goto bad;
		return 0;
	case FLAG_INT: {
		char *end;
		long v = strtol(value, &end, 10);
		if (end == value || *end)
			goto bad;
		*(long *)d->dst = v;
		return 0;
	}
	case FLAG_BYTES:
		if (flags_parse_bytes(value, d->dst) < 0)
			goto bad;
		return 0;
	}
bad:
	snprintf(errbuf, errlen, "invalid value '%s' for flag --%s", value, d->name);
	return -EINVAL;
}

static void set_default(const struct flag_def *d)
{
	char err[8];
	switch (d->kind) {
	case FLAG_BOOL:
		*(bool *)d->dst = false;
		break;
	case FLAG_STRING:
		free(*(char **)d->dst);
		*(char **)d->dst = NULL;
		break;
	case FLAG_STRLIST:
		strlist_clear(d->dst);
		return; /* list defaults are not pre-filled */
	case FLAG_DURATION:
	case FLAG_BYTES:
		*(double *)d->dst = 0;
		break;
	case FLAG_INT:
		*(long *)d->dst = 0;
		break;
	}
	if (d->defval)
		assign(d, d->defval, err, sizeof(err));
	else if (d->kind == FLAG_STRING)
		*(char **)d->dst = xstrdup("");
}

static const struct flag_def *lookup(const struct flag_table *tables, size_t ntables,
				     const char *name, size_t len)
{
	for (size_t t = 0; t < ntables; t++) {
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct flag_def *d = &tables[t].defs[i];
			if ((strlen(d->name) == len && strncmp(d->name, name, len) == 0) ||
			    (d->alias && strlen(d->alias) == len && strncmp(d->alias, name, len) == 0))
				return d;
		}
	}
	return NULL;
}

int flags_set(const struct flag_table *tables, size_t ntables, const char *name,
	      const char *value, char *errbuf, size_t errlen)
{
	const struct flag_def *d = lookup(tables, ntables, name, strlen(name));
	if (!d) {
		snprintf(errbuf, errlen, "unknown long flag '--%s'", name);
		return -ENOENT;
	}
	if (d->seen)
		*d->seen = true;
	return assign(d, value, errbuf, errlen);
}

int flags_parse(int argc, char **argv, const struct flag_table *tables, size_t ntables,
		struct strlist *positional, char *asked, char *errbuf, size_t errlen)
{
	for (size_t t = 0; t < ntables; t++)
		for (size_t i = 0; i < tables[t].n; i++)
			set_default(&tables[t].defs[i]);

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-' || !arg[1]) {
			if (positional) {
				strlist_push(positional, arg);
				continue;
			}
			snprintf(errbuf, errlen, "unexpected argument '%s'", arg);
			return -EINVAL;
		}
		if (!strcmp(arg, "--")) {
			for (i++; i < argc && positional; i++)
				strlist_push(positional, argv[i]);
			if (i < argc) {
				snprintf(errbuf, errlen, "unexpected argument '%s'", argv[i]);
				return -EINVAL;
			}
			break;
		}
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		if (!strcmp(name, "help") || !strcmp(arg, "-h")) {
			*asked = 'h';
			return 1;
		}
		if (!strcmp(name, "version")) {
			*asked = 'v';
			return 1;
		}
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct flag_def *d = lookup(tables, ntables, name, len);
		const char *value = eq ? eq + 1 : NULL;
		if (!d && !eq && !strncmp(name, "no-", 3)) {
			d = lookup(tables, ntables, name + 3, len - 3);
			if (d && d->kind == FLAG_BOOL) {
				*(bool *)d->dst = false;
				if (d->seen)
					*d->seen = true;
				continue;
			}
			d = NULL;
		}
		if (!d) {
			snprintf(errbuf, errlen, "unknown long flag '--%.*s'", (int)len, name);
			return -EINVAL;
		}
		if (!value) {
			if (d->kind == FLAG_BOOL) {
				value = "true";
			} else if (i + 1 < argc) {
				value = argv[++i];
			} else {
				snprintf(errbuf, errlen, "expected argument for flag '--%s'", d->name);
				return -EINVAL;
			}
		}
		if (d->seen)
			*d->seen = true;
		if (assign(d, value, errbuf, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

void flags_usage(FILE *out, const char *prog, const char *summary,
		 const struct flag_table *tables, size_t ntables)
{
	fprintf(out, "usage: %s [<flags>]\n\n%s\n", prog, summary);
	for (size_t t = 0; t < ntables; t++) {
		if (!tables[t].n)
			continue;
		fprintf(out, "\n%s:\n", tables[t].title);
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct flag_def *d = &tables[t].defs[i];
			char head[160];
			if (d->kind == FLAG_BOOL)
				snprintf(head, sizeof(head), "--[no-]%s", d->name);
			else
				snprintf(head, sizeof(head), "--%s=<value>", d->name);
			fprintf(out, "  %-52s %s", head, d->help);
			if (d->kind == FLAG_BOOL)
				fprintf(out, " (default: %s)", d->defval ? d->defval : "false");
			else if (d->defval)
				fprintf(out, " (default: \"%s\")", d->defval);
			if (d->alias)
				fprintf(out, " (alias: --%s)", d->alias);
			fputc('\n', out);
		}
	}
}

void flags_free(const struct flag_table *tables, size_t ntables)
{
	for (size_t t = 0; t < ntables; t++) {
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct flag_def *d = &tables[t].defs[i];
			if (d->kind == FLAG_STRING) {
				free(*(char **)d->dst);
				*(char **)d->dst = NULL;
			} else if (d->kind == FLAG_STRLIST) {
				strlist_clear(d->dst);
			}
		}
	}
}
