// SPDX-License-Identifier: Apache-2.0
/*
 * vigil-promql-check: run queries through the PromQL parser.
 *
 * Reads one query per line on stdin and writes one line per query:
 *   OK <type> <canonical form>      type: scalar, vector, matrix, string
 *   ERR <message>                   "1:5: parse error: unexpected <op:*>"
 * With -j each input line is a JSON string (so queries may hold newlines)
 * and the canonical form or message is written as a JSON string too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strutil.h"
#include "common/utf8.h"
#include "server/promql/parser.h"

/* Four hex digits at s as a number; -EINVAL when one is not a hex digit. */
static int hex4(const char *s, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit((unsigned char)s[i]);
		if (d < 0)
			return -EINVAL;
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

/* Decode a JSON string literal in place; returns its length or -EINVAL. */
static long json_decode(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return -EINVAL;
	size_t o = 0;
	for (size_t i = 1; i < n - 1;) {
		char c = s[i++];
		if (c != '\\') {
			s[o++] = c;
			continue;
		}
		c = s[i++];
		switch (c) {
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			/* JSON's one-letter escapes are Go's */
			s[o++] = (char)promql_go_escape(c);
			break;
		case 'u': {
			unsigned v, lo;
			if (i + 4 > n - 1 || hex4(s + i, &v) < 0)
				return -EINVAL;
			i += 4;
			if (v >= 0xD800 && v < 0xDC00 && i + 6 <= n - 1 && s[i] == '\\' &&
			    s[i + 1] == 'u' && hex4(s + i + 2, &lo) == 0 && lo >= 0xDC00 &&
			    lo < 0xE000) {
				v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			}
			o += utf8_encode(v, s + o);
			break;
		}
		default:
			s[o++] = c;
			break;
		}
	}
	s[o] = '\0';
	return (long)o;
}

static void json_put(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			printf("\\n");
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	int json = argc > 1 && strcmp(argv[1], "-j") == 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	char err[8192];
	while ((got = getline(&line, &cap, stdin)) >= 0) {
		size_t len;
		if (json) {
			long l = json_decode(line);
			if (l < 0) {
				printf("ERR ");
				json_put("bad JSON input line");
				putchar('\n');
				continue;
			}
			len = (size_t)l;
		} else {
			len = (size_t)got;
			while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				len--;
		}
		struct promql_expr *e;
		int rc = promql_parse(line, len, &e, err, sizeof(err));
		if (rc < 0) {
			printf("ERR ");
			if (json)
				json_put(err);
			else
				fputs(err, stdout);
			putchar('\n');
			continue;
		}
		char *s = promql_node_string(e->root);
		printf("OK %s ", promql_type_name(promql_node_type(e->root)));
		if (json)
			json_put(s ? s : "");
		else
			fputs(s ? s : "", stdout);
		putchar('\n');
		free(s);
		promql_expr_free(e);
		fflush(stdout);
	}
	free(line);
	return 0;
}
