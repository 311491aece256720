// SPDX-License-Identifier: Apache-2.0
/*
 * prometheus.yml parsing (format and rules in config.h).  libyaml loads the
 * whole document into a node tree (anchors resolved); a table of keys per
 * section (struct ykey: name, kind, offset) drives decoding, so an unknown
 * key, a duplicate key or a badly typed value is caught in one place and
 * reported with the node's line; lists of sections (relabel rules, static
 * and file SD configs) decode through one function too (struct ylist).
 * Scalars are typed as gopkg.in/yaml.v2 (which Prometheus uses) types them:
 * YAML 1.1 booleans (yes/no/on/off...), quoted scalars are always strings,
 * null leaves the zero value.
 */
#include "server/scrape/config.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"

#define MS_SECOND 1000LL
#define MS_MINUTE (60 * MS_SECOND)

/* Parsing context: the document, the file name and where the error goes. */
struct ycx {
	yaml_document_t *doc;
	const char *file;
	char *err;
	size_t errlen;
};

static int yerr_line(struct ycx *y, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int yerr_line(struct ycx *y, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(y->err, y->errlen, "%s:%d: %s", y->file, line, msg);
	else
		snprintf(y->err, y->errlen, "%s: %s", y->file, msg);
	return -EINVAL;
}

static int node_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

#define yerr(y, node, ...) yerr_line((y), node_line(node), __VA_ARGS__)

static bool node_quoted(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain null scalar: "", "~", "null" (yaml.v2's resolve table). */
static bool node_null(const yaml_node_t *n)
{
	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE || node_quoted(n))
		return false;
	const char *s = scalar(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "!!map";
	case YAML_SEQUENCE_NODE:
		return "!!seq";
	default:
		return "!!str";
	}
}

/*
 * yaml.v2's error for a value its type cannot take: `invalid <what> "<scalar>"
 * for key "<key>"` (a map or list shown by its tag), then ": expected
 * <expected>" when expected is given.
 */
static int yerr_invalid(struct ycx *y, yaml_node_t *n, const char *what, const char *key,
			const char *expected)
{
	bool sc = n->type == YAML_SCALAR_NODE;
	return yerr(y, n, "invalid %s %s%s%s for key \"%s\"%s%s", what, sc ? "\"" : "",
		    sc ? scalar(n) : node_kind(n), sc ? "\"" : "", key,
		    expected ? ": expected " : "", expected ? expected : "");
}

/*
 * The items of a sequence value of key: 0 and *cnt = 0 for null, yaml.v2's
 * type error when n is not a sequence, else 0 and *cnt items (seq_item()).
 */
static int seq_len(struct ycx *y, yaml_node_t *n, const char *key, size_t *cnt)
{
	*cnt = 0;
	if (node_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return yerr(y, n, "cannot unmarshal %s into a list for key \"%s\"", node_kind(n),
			    key);
	*cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	return 0;
}

/* Item i of the sequence node n. */
static yaml_node_t *seq_item(yaml_document_t *doc, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(doc, n->data.sequence.items.start[i]);
}

static char *join_dir(const char *dir, const char *path)
{
	if (!*path || path[0] == '/' || !dir || !*dir || !strcmp(dir, "."))
		return xstrdup(path);
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/%s", dir, path);
	return buf_detach(&b, NULL);
}

/* ---- scalar decoders (all take a non-null scalar or report a type error) ---- */

static int dec_string(struct ycx *y, yaml_node_t *n, const char *key, char **out)
{
	if (node_null(n)) {
		free(*out);
		*out = xstrdup("");
		return 0;
	}
	if (n->type != YAML_SCALAR_NODE)
		return yerr(y, n, "cannot unmarshal %s into string for key \"%s\"", node_kind(n),
			    key);
	free(*out);
	*out = xstrdup(scalar(n));
	return 0;
}

static int dec_bool(struct ycx *y, yaml_node_t *n, const char *key, bool *out)
{
	static const char *const yes[] = {"y",	  "Y",	  "yes", "Yes", "YES", "true",
					  "True", "TRUE", "on",	 "On",	"ON"};
	static const char *const no[] = {"n",	  "N",	   "no",  "No",	 "NO", "false",
					 "False", "FALSE", "off", "Off", "OFF"};
	if (node_null(n)) {
		*out = false;
		return 0;
	}
	if (n->type == YAML_SCALAR_NODE && !node_quoted(n)) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (!strcmp(scalar(n), yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(scalar(n), no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	return yerr_invalid(y, n, "value", key, "a boolean");
}

/* An unsigned YAML integer: decimal (underscores allowed), 0x hex, 0o/0 octal, 0b binary. */
static int parse_yaml_uint(const char *s, uint64_t *out)
{
	char digits[64];
	size_t n = 0;
	if (*s == '+')
		s++;
	for (; *s; s++) {
		if (*s == '_')
			continue;
		if (n + 1 >= sizeof(digits))
			return -ERANGE;
		digits[n++] = *s;
	}
	digits[n] = 0;
	if (!n)
		return -EINVAL;
	int base = 10;
	const char *d = digits;
	if (!strncmp(d, "0x", 2)) {
		base = 16;
		d += 2;
	} else if (!strncmp(d, "0b", 2)) {
		base = 2;
		d += 2;
	} else if (!strncmp(d, "0o", 2)) {
		base = 8;
		d += 2;
	} else if (d[0] == '0' && d[1]) {
		base = 8;
		d += 1;
	}
	if (!*d)
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(d, &end, base);
	if (*end || *d == '-')
		return -EINVAL;
	if (errno)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A YAML 1.1 float ([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?); 0 or -EINVAL. */
static int parse_yaml_float(const char *s, double *out)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	bool digits = false;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits = true;
		}
	}
	if (!digits)
		return -EINVAL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return -EINVAL;
	*out = strtod(s, NULL);
	return 0;
}

/* An unsigned integer, or a float that yaml.v2 truncates into one. */
static int parse_yaml_uint_or_float(const char *s, uint64_t *out)
{
	double f;
	if (parse_yaml_uint(s, out) == 0)
		return 0;
	if (parse_yaml_float(s, &f) < 0 || !(f >= 0) || f >= 18446744073709551616.0)
		return -EINVAL;
	*out = (uint64_t)f;
	return 0;
}

static int dec_u64(struct ycx *y, yaml_node_t *n, const char *key, uint64_t *out)
{
	if (node_null(n)) {
		*out = 0;
		return 0;
	}
	if (n->type != YAML_SCALAR_NODE || node_quoted(n) ||
	    parse_yaml_uint_or_float(scalar(n), out) < 0)
		return yerr_invalid(y, n, "value", key, "an unsigned integer");
	return 0;
}

static int dec_i64(struct ycx *y, yaml_node_t *n, const char *key, int64_t *out)
{
	uint64_t u;
	if (node_null(n)) {
		*out = 0;
		return 0;
	}
	if (n->type == YAML_SCALAR_NODE && !node_quoted(n)) {
		const char *s = scalar(n);
		bool neg = *s == '-';
		if (parse_yaml_uint_or_float(neg ? s + 1 : s, &u) == 0 &&
		    u <= (uint64_t)INT64_MAX) {
			*out = neg ? -(int64_t)u : (int64_t)u;
			return 0;
		}
	}
	return yerr_invalid(y, n, "value", key, "an integer");
}

static int dec_f64(struct ycx *y, yaml_node_t *n, const char *key, double *out)
{
	uint64_t u;
	if (node_null(n)) {
		*out = 0;
		return 0;
	}
	if (n->type == YAML_SCALAR_NODE && !node_quoted(n)) {
		if (parse_yaml_float(scalar(n), out) == 0)
			return 0;
		if (parse_yaml_uint(scalar(n), &u) == 0) {
			*out = (double)u;
			return 0;
		}
	}
	return yerr_invalid(y, n, "value", key, "a number");
}

int scrape_duration_parse(const char *s, int64_t *ms)
{
	/* ^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$, units in this order */
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
		{"y", 365 * 24 * 3600 * MS_SECOND},
		{"w", 7 * 24 * 3600 * MS_SECOND},
		{"d", 24 * 3600 * MS_SECOND},
		{"h", 3600 * MS_SECOND},
		{"m", MS_MINUTE},
		{"s", MS_SECOND},
		{"ms", 1},
	};
	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	if (!*s)
		return -EINVAL;
	const char *p = s;
	size_t next = 0;
	int64_t total = 0;
	while (*p) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		uint64_t v = 0;
		bool overflow = false;
		while (*p >= '0' && *p <= '9') {
			if (v > (UINT64_MAX - 9) / 10)
				overflow = true;
			v = v * 10 + (uint64_t)(*p - '0');
			p++;
		}
		size_t u;
		for (u = next; u < sizeof(units) / sizeof(units[0]); u++) {
			size_t ul = strlen(units[u].unit);
			/* "m" must not take the "m" of "ms" */
			if (!strncmp(p, units[u].unit, ul) &&
			    !(ul == 1 && p[0] == 'm' && p[1] == 's'))
				break;
		}
		if (u == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		p += strlen(units[u].unit);
		next = u + 1;
		if (overflow || v > (uint64_t)(INT64_MAX / 1000000 / units[u].ms))
			return -ERANGE;
		total += (int64_t)v * units[u].ms;
		if (total > INT64_MAX / 1000000)
			return -ERANGE;
	}
	*ms = total;
	return 0;
}

static int dec_duration(struct ycx *y, yaml_node_t *n, const char *key, int64_t *out)
{
	if (node_null(n)) {
		*out = 0;
		return 0;
	}
	if (n->type != YAML_SCALAR_NODE)
		return yerr(y, n, "cannot unmarshal %s into duration for key \"%s\"", node_kind(n),
			    key);
	int rc = scrape_duration_parse(scalar(n), out);
	if (rc == -ERANGE)
		return yerr(y, n, "duration out of range for key \"%s\"", key);
	if (rc < 0) {
		if (!*scalar(n))
			return yerr(y, n, "empty duration string for key \"%s\"", key);
		return yerr(y, n, "not a valid duration string: \"%s\" for key \"%s\"", scalar(n),
			    key);
	}
	return 0;
}

/* alecthomas/units Base2Bytes: <int><unit>, unit B, KB/KiB, MB/MiB ... EB/EiB, all powers of 1024.
 */
static int dec_bytes(struct ycx *y, yaml_node_t *n, const char *key, uint64_t *out)
{
	static const char *const prefixes = "KMGTPE";
	if (node_null(n)) {
		*out = 0;
		return 0;
	}
	if (n->type != YAML_SCALAR_NODE)
		goto bad;
	const char *s = scalar(n);
	if (!strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	const char *p = s;
	if (*p < '0' || *p > '9')
		goto bad;
	char *endp;
	double v = strtod(s, &endp); /* units.ParseBase2Bytes takes "1.5MB" */
	p = endp;
	uint64_t mult = 1;
	if (!strcmp(p, "B")) {
		mult = 1;
	} else if (*p && strchr(prefixes, *p) && (!strcmp(p + 1, "B") || !strcmp(p + 1, "iB"))) {
		for (const char *q = prefixes; *q; q++) {
			mult *= 1024;
			if (*q == *p)
				break;
		}
	} else {
		goto bad;
	}
	*out = (uint64_t)(v * (double)mult);
	return 0;
bad:
	return yerr_invalid(y, n, "size", key, NULL);
}

static int dec_strlist(struct ycx *y, yaml_node_t *n, const char *key, struct strlist *out)
{
	size_t cnt;
	strlist_clear(out);
	int rc = seq_len(y, n, key, &cnt);
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		yaml_node_t *e = seq_item(y->doc, n, i);
		if (node_null(e)) {
			strlist_push(out, "");
			continue;
		}
		if (e->type != YAML_SCALAR_NODE)
			return yerr(y, e, "cannot unmarshal %s into string in list \"%s\"",
				    node_kind(e), key);
		strlist_push(out, scalar(e));
	}
	return rc;
}

/* The YAML merge key "<<" (yaml.v2 honours it: `<<: *defaults`). */
static bool is_merge_key(const yaml_node_t *k)
{
	return k->type == YAML_SCALAR_NODE && !node_quoted(k) && !strcmp(scalar(k), "<<");
}

/* Iterate the pairs of a mapping, rejecting non-scalar and duplicate keys. */
static int check_mapping(struct ycx *y, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_MAPPING_NODE)
		return yerr(y, n, "cannot unmarshal %s into %s", node_kind(n), what);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return yerr(y, k, "non-scalar key in %s", what);
		if (is_merge_key(k))
			continue;
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = yaml_document_get_node(y->doc, q->key);
			if (!strcmp(scalar(k), scalar(k2)))
				return yerr(y, k, "duplicate key \"%s\" in %s", scalar(k), what);
		}
	}
	return 0;
}

/*
 * The pairs of a mapping value (what names it in errors): 0 and *cnt = 0
 * for null, check_mapping()'s error, else 0 and *cnt pairs (map_key(),
 * map_value()).
 */
static int map_len(struct ycx *y, yaml_node_t *n, const char *what, size_t *cnt)
{
	*cnt = 0;
	if (node_null(n))
		return 0;
	int rc = check_mapping(y, n, what);
	if (rc == 0)
		*cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	return rc;
}

/* The key of pair i of the mapping node n. */
static yaml_node_t *map_key(yaml_document_t *doc, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(doc, n->data.mapping.pairs.start[i].key);
}

/* The value of pair i of the mapping node n. */
static yaml_node_t *map_value(yaml_document_t *doc, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(doc, n->data.mapping.pairs.start[i].value);
}

/* A map of label name to value; names must be valid, values valid UTF-8. */
static int dec_labels(struct ycx *y, yaml_node_t *n, const char *what, struct lset *out)
{
	size_t cnt;
	lset_clear(out);
	int rc = map_len(y, n, what, &cnt);
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		yaml_node_t *k = map_key(y->doc, n, i), *v = map_value(y->doc, n, i);
		if (!label_name_valid(scalar(k)))
			return yerr(y, k, "\"%s\" is not a valid label name", scalar(k));
		const char *val = "";
		if (!node_null(v)) {
			if (v->type != YAML_SCALAR_NODE)
				return yerr(y, v, "cannot unmarshal %s into label value of \"%s\"",
					    node_kind(v), scalar(k));
			val = scalar(v);
		}
		if (!label_value_valid(val))
			return yerr(y, v, "\"%s\" is not a valid label value", val);
		lset_set(out, scalar(k), val);
	}
	return rc;
}

/* ---- table-driven mappings ---- */

enum ykind {
	YK_STR,
	YK_BOOL,
	YK_U64,
	YK_I64,
	YK_F64,
	YK_DUR,
	YK_BYTES,
	YK_STRLIST,
	YK_LABELS,  /* a map of label names to values (struct lset) */
	YK_TLS_VER, /* a string naming a TLS version, or empty */
	YK_MAP,	    /* a mapping decoded with the table sub into the field (0: the object) */
	YK_FN,
	YK_IGNORE
};

struct ykey {
	const char *name;
	enum ykind kind;
	size_t off; /* of the field in the object */
	/* YK_FN: decode value node n into obj */
	int (*fn)(struct ycx *y, yaml_node_t *n, void *obj);
	const struct ykey *sub; /* YK_MAP: the keys of the mapping */
	/* when set, the key goes by each of these names (NULL-terminated) instead of name */
	const char *const *names;
};

/* Whether key k is called name. */
static bool key_is(const struct ykey *k, const char *name)
{
	if (!k->names)
		return !strcmp(k->name, name);
	for (const char *const *n = k->names; *n; n++)
		if (!strcmp(*n, name))
			return true;
	return false;
}

static int dec_mapping_depth(struct ycx *y, yaml_node_t *n, const char *what,
			     const struct ykey *keys, void *obj, int depth);
static int dec_mapping(struct ycx *y, yaml_node_t *n, const char *what, const struct ykey *keys,
		       void *obj);
static int dec_tls_version(struct ycx *y, yaml_node_t *n, const char *key, char **out);

/*
 * `<<: *a` or `<<: [*a, *b]`: decode the merged mappings into obj first,
 * the later ones first so earlier ones win, as yaml.v2 does; keys that
 * follow in the mapping itself override them.
 */
static int dec_merge(struct ycx *y, yaml_node_t *v, const char *what, const struct ykey *keys,
		     void *obj, int depth)
{
	if (depth > 16)
		return yerr(y, v, "merge keys nested too deeply in %s", what);
	if (v->type == YAML_MAPPING_NODE)
		return dec_mapping_depth(y, v, what, keys, obj, depth + 1);
	if (v->type != YAML_SEQUENCE_NODE)
		return yerr(y, v, "map merge requires map or sequence of maps as the value");
	for (yaml_node_item_t *it = v->data.sequence.items.top;
	     it > v->data.sequence.items.start;) {
		yaml_node_t *e = yaml_document_get_node(y->doc, *--it);
		if (e->type != YAML_MAPPING_NODE)
			return yerr(y, e,
				    "map merge requires map or sequence of maps as the value");
		int rc = dec_mapping_depth(y, e, what, keys, obj, depth + 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int dec_mapping(struct ycx *y, yaml_node_t *n, const char *what, const struct ykey *keys,
		       void *obj)
{
	return dec_mapping_depth(y, n, what, keys, obj, 0);
}

static int dec_mapping_depth(struct ycx *y, yaml_node_t *n, const char *what,
			     const struct ykey *keys, void *obj, int depth)
{
	size_t cnt;
	int rc = map_len(y, n, what, &cnt);
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		yaml_node_t *k = map_key(y->doc, n, i), *v = map_value(y->doc, n, i);
		const char *name = scalar(k);
		if (is_merge_key(k)) {
			rc = dec_merge(y, v, what, keys, obj, depth);
			continue;
		}
		const struct ykey *key;
		for (key = keys; key->name; key++)
			if (key_is(key, name))
				break;
		if (!key->name)
			return yerr(y, k, "unknown key \"%s\" in %s", name, what);
		char *field = (char *)obj + key->off;
		switch (key->kind) {
		case YK_STR:
			rc = dec_string(y, v, name, (char **)(void *)field);
			break;
		case YK_BOOL:
			rc = dec_bool(y, v, name, (bool *)(void *)field);
			break;
		case YK_U64:
			rc = dec_u64(y, v, name, (uint64_t *)(void *)field);
			break;
		case YK_I64:
			rc = dec_i64(y, v, name, (int64_t *)(void *)field);
			break;
		case YK_F64:
			rc = dec_f64(y, v, name, (double *)(void *)field);
			break;
		case YK_DUR:
			rc = dec_duration(y, v, name, (int64_t *)(void *)field);
			break;
		case YK_BYTES:
			rc = dec_bytes(y, v, name, (uint64_t *)(void *)field);
			break;
		case YK_STRLIST:
			rc = dec_strlist(y, v, name, (struct strlist *)(void *)field);
			break;
		case YK_LABELS:
			rc = dec_labels(y, v, name, (struct lset *)(void *)field);
			break;
		case YK_TLS_VER:
			rc = dec_tls_version(y, v, name, (char **)(void *)field);
			break;
		case YK_MAP:
			rc = dec_mapping(y, v, name, key->sub, field);
			break;
		case YK_FN:
			rc = key->fn(y, v, obj);
			break;
		case YK_IGNORE:
			rc = 0;
			break;
		}
	}
	return rc;
}

#define KEY(key, kind_, type, field)                                                               \
	{                                                                                          \
		.name = key, .kind = kind_, .off = offsetof(type, field)                           \
	}
#define KEYFN(key, fn_)                                                                            \
	{                                                                                          \
		.name = key, .kind = YK_FN, .fn = fn_                                              \
	}
/* A mapping decoded with the key table sub_ into field. */
#define KEYMAP(key, sub_, type, field)                                                             \
	{                                                                                          \
		.name = key, .kind = YK_MAP, .off = offsetof(type, field), .sub = sub_             \
	}
/* A nested mapping whose keys (table sub_) fill the same object. */
#define KEYNEST(key, sub_)                                                                         \
	{                                                                                          \
		.name = key, .kind = YK_MAP, .off = 0, .sub = sub_                                 \
	}
/* Every key of the NULL-terminated list names_, decoded by fn_. */
#define KEYFN_ANY(names_, fn_)                                                                     \
	{                                                                                          \
		.name = #names_, .kind = YK_FN, .fn = fn_, .names = names_                         \
	}

/* ---- lists of sections ---- */

/* How one kind of list of mappings decodes and frees (relabel rules, target groups, file SD). */
struct ylist {
	const char *item;	 /* what an item is called in errors: "relabel_config" */
	const struct ykey *keys; /* the keys of an item */
	size_t size;		 /* of an item */
	/* set up item i (zeroed, at node e) before its keys are decoded */
	void (*init)(void *item, size_t i, yaml_node_t *e);
	/* check an item once decoded; NULL: nothing to check */
	int (*check)(struct ycx *y, yaml_node_t *e, void *item);
	/* free what an item holds */
	void (*clear)(void *item);
};

/* Free n items of the kind l and the array holding them. */
static void list_free(const struct ylist *l, void *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		l->clear((char *)items + i * l->size);
	free(items);
}

/*
 * The list value n of key, replacing the list old of *count items (a key
 * given again through a merge replaces the list): a new array whose items
 * are zeroed, set up and decoded in order, *count the items set up (on an
 * error too, so that the caller frees them).  A null item is an error:
 * null_msg, or "empty or null section in <key>".  NULL for a null list;
 * *rc is 0 or the error.
 */
static void *dec_list(struct ycx *y, yaml_node_t *n, const char *key, const char *null_msg,
		      const struct ylist *l, void *old, size_t *count, int *rc)
{
	size_t cnt;
	list_free(l, old, *count);
	*count = 0;
	*rc = seq_len(y, n, key, &cnt);
	if (*rc < 0 || node_null(n))
		return NULL;
	char *items = xcalloc(cnt + 1, l->size);
	for (size_t i = 0; *rc == 0 && i < cnt; i++) {
		yaml_node_t *e = seq_item(y->doc, n, i);
		void *item = items + i * l->size;
		(*count)++;
		l->init(item, i, e);
		if (!node_null(e))
			*rc = dec_mapping(y, e, l->item, l->keys, item);
		else if (null_msg)
			*rc = yerr(y, e, "%s", null_msg);
		else
			*rc = yerr(y, e, "empty or null section in %s", key);
		if (*rc == 0 && l->check)
			*rc = l->check(y, e, item);
	}
	return items;
}

/* ---- relabel rules ---- */

static int dec_relabel_source(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct relabel_rule *r = obj;
	int rc = dec_strlist(y, n, "source_labels", &r->source_labels);
	if (rc < 0)
		return rc;
	r->source_labels_set = !node_null(n);
	for (size_t i = 0; i < r->source_labels.n; i++)
		if (!label_name_valid(r->source_labels.items[i]))
			return yerr(y, n, "\"%s\" is not a valid label name",
				    r->source_labels.items[i]);
	return 0;
}

static int dec_relabel_regex(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct relabel_rule *r = obj;
	r->regex_set = true;
	int rc = dec_string(y, n, "regex", &r->regex_src);
	if (rc < 0)
		return rc;
	/* relabel_rule_prepare() checks and compiles it; report at the regex's line */
	char rerr[512];
	vregex_free(r->regex);
	r->regex = NULL;
	enum relabel_action saved = r->action;
	r->action = RELABEL_KEEP; /* only the regex checks apply to keep */
	rc = relabel_rule_prepare(r, rerr, sizeof(rerr));
	r->action = saved;
	if (rc < 0)
		return yerr(y, n, "%s", rerr);
	return 0;
}

static int dec_relabel_action(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct relabel_rule *r = obj;
	char *s = NULL;
	int rc = dec_string(y, n, "action", &s);
	if (rc == 0 && relabel_action_parse(s, &r->action) < 0)
		rc = yerr(y, n, "unknown relabel action \"%s\"", s);
	free(s);
	return rc;
}

static const struct ykey relabel_keys[] = {
	KEYFN("source_labels", dec_relabel_source),
	KEY("separator", YK_STR, struct relabel_rule, separator),
	KEYFN("regex", dec_relabel_regex),
	KEY("modulus", YK_U64, struct relabel_rule, modulus),
	KEY("target_label", YK_STR, struct relabel_rule, target_label),
	KEY("replacement", YK_STR, struct relabel_rule, replacement),
	KEYFN("action", dec_relabel_action),
	{0},
};

static void relabel_item_init(void *item, size_t i, yaml_node_t *e)
{
	(void)i;
	relabel_rule_init(item);
	((struct relabel_rule *)item)->line = node_line(e);
}

/* relabel_rule_prepare() checks a rule as Prometheus's Validate() does. */
static int relabel_item_check(struct ycx *y, yaml_node_t *e, void *item)
{
	char msg[512];
	if (relabel_rule_prepare(item, msg, sizeof(msg)) < 0)
		return yerr(y, e, "%s", msg);
	return 0;
}

static void relabel_item_clear(void *item)
{
	relabel_rule_free(item);
}

static const struct ylist relabel_list = {
	"relabel_config",  relabel_keys,       sizeof(struct relabel_rule),
	relabel_item_init, relabel_item_check, relabel_item_clear};

/* A list of relabel rules replacing *out (*nout rules); a null rule is the error null_msg. */
static int dec_relabel_list(struct ycx *y, yaml_node_t *n, const char *key, const char *null_msg,
			    struct relabel_rule **out, size_t *nout)
{
	int rc;
	*out = dec_list(y, n, key, null_msg, &relabel_list, *out, nout, &rc);
	return rc;
}

/* ---- HTTP client ---- */

static int dec_tls_version(struct ycx *y, yaml_node_t *n, const char *key, char **out)
{
	int rc = dec_string(y, n, key, out);
	if (rc < 0)
		return rc;
	if (**out && strcmp(*out, "TLS10") && strcmp(*out, "TLS11") && strcmp(*out, "TLS12") &&
	    strcmp(*out, "TLS13"))
		return yerr(y, n, "unknown TLS version: %s", *out);
	return 0;
}

static const struct ykey tls_keys[] = {
	KEY("ca_file", YK_STR, struct scrape_tls, ca_file),
	KEY("cert_file", YK_STR, struct scrape_tls, cert_file),
	KEY("key_file", YK_STR, struct scrape_tls, key_file),
	KEY("server_name", YK_STR, struct scrape_tls, server_name),
	KEY("insecure_skip_verify", YK_BOOL, struct scrape_tls, insecure_skip_verify),
	KEY("min_version", YK_TLS_VER, struct scrape_tls, min_version),
	KEY("max_version", YK_TLS_VER, struct scrape_tls, max_version),
	{0},
};

static const struct ykey basic_auth_keys[] = {
	KEY("username", YK_STR, struct scrape_http_client, basic_auth_username),
	KEY("password", YK_STR, struct scrape_http_client, basic_auth_password),
	KEY("password_file", YK_STR, struct scrape_http_client, basic_auth_password_file),
	{0},
};

static const struct ykey authorization_keys[] = {
	KEY("type", YK_STR, struct scrape_http_client, authorization_type),
	KEY("credentials", YK_STR, struct scrape_http_client, authorization_credentials),
	KEY("credentials_file", YK_STR, struct scrape_http_client, authorization_credentials_file),
	{0},
};

/* oauth2 is validated for shape and required fields but not used */
struct oauth2_tmp {
	char *client_id, *client_secret, *client_secret_file, *token_url, *proxy_url;
	struct strlist scopes;
	struct scrape_tls tls;
};

static int dec_ignore_string_map(struct ycx *y, yaml_node_t *n, void *obj)
{
	size_t cnt;
	int rc = map_len(y, n, "endpoint_params", &cnt);
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		yaml_node_t *v = map_value(y->doc, n, i);
		if (v->type != YAML_SCALAR_NODE)
			rc = yerr(y, v, "cannot unmarshal %s into string", node_kind(v));
	}
	return rc;
}

static const struct ykey oauth2_keys[] = {
	KEY("client_id", YK_STR, struct oauth2_tmp, client_id),
	KEY("client_secret", YK_STR, struct oauth2_tmp, client_secret),
	KEY("client_secret_file", YK_STR, struct oauth2_tmp, client_secret_file),
	KEY("scopes", YK_STRLIST, struct oauth2_tmp, scopes),
	KEY("token_url", YK_STR, struct oauth2_tmp, token_url),
	KEYFN("endpoint_params", dec_ignore_string_map),
	KEY("proxy_url", YK_STR, struct oauth2_tmp, proxy_url),
	KEYMAP("tls_config", tls_keys, struct oauth2_tmp, tls),
	{0},
};

static void tls_free(struct scrape_tls *t)
{
	free(t->ca_file);
	free(t->cert_file);
	free(t->key_file);
	free(t->server_name);
	free(t->min_version);
	free(t->max_version);
}

/* ---- scrape job ---- */

/* Parsing state of one job beyond struct scrape_job: raw bearer token fields. */
struct job_tmp {
	struct scrape_job job; /* first, so key offsets into the job work on the wrapper */
	char *bearer_token, *bearer_token_file;
	int oauth2_line;
	struct oauth2_tmp oauth2;
};

/* A section that may be left out (basic_auth, oauth2, sigv4 ...): *present unless null. */
static int dec_optional(struct ycx *y, yaml_node_t *n, const char *what, const struct ykey *keys,
			void *obj, bool *present)
{
	if (node_null(n))
		return 0;
	*present = true;
	return dec_mapping(y, n, what, keys, obj);
}

static int dec_job_basic_auth(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_job *j = obj;
	return dec_optional(y, n, "basic_auth", basic_auth_keys, &j->http, &j->http.has_basic_auth);
}

static int dec_job_authorization(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_job *j = obj;
	return dec_optional(y, n, "authorization", authorization_keys, &j->http,
			    &j->http.has_authorization);
}

static int dec_job_oauth2(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct job_tmp *t = obj;
	if (!node_null(n))
		t->oauth2_line = node_line(n);
	return dec_optional(y, n, "oauth2", oauth2_keys, &t->oauth2, &t->job.http.has_oauth2);
}

static int dec_job_proxy_header(struct ycx *y, yaml_node_t *n, void *obj)
{
	size_t cnt;
	if (node_null(n))
		return 0;
	int rc = map_len(y, n, "proxy_connect_header", &cnt);
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		struct strlist tmp = {0};
		rc = dec_strlist(y, map_value(y->doc, n, i), "proxy_connect_header", &tmp);
		strlist_clear(&tmp);
	}
	if (rc == 0)
		log_warn("config: proxy_connect_header is accepted but not used");
	return rc;
}

/* Free the params of a job and empty them. */
static void params_free(struct scrape_job *j)
{
	for (size_t i = 0; i < j->n_params; i++) {
		free(j->params[i].name);
		strlist_clear(&j->params[i].values);
	}
	free(j->params);
	j->params = NULL;
	j->n_params = 0;
}

static int dec_job_params(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_job *j = obj;
	size_t cnt;
	params_free(j);
	int rc = map_len(y, n, "params", &cnt);
	if (rc < 0 || node_null(n))
		return rc;
	j->params = xcalloc(cnt ? cnt : 1, sizeof(*j->params));
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		struct scrape_param *pa = &j->params[j->n_params++];
		pa->name = xstrdup(scalar(map_key(y->doc, n, i)));
		rc = dec_strlist(y, map_value(y->doc, n, i), pa->name, &pa->values);
	}
	return rc;
}

static const struct ykey target_group_keys[] = {
	KEY("targets", YK_STRLIST, struct scrape_target_group, targets),
	KEY("labels", YK_LABELS, struct scrape_target_group, labels),
	{0},
};

static void target_group_clear(struct scrape_target_group *g);

/* A static config's source is its index, as Prometheus numbers them. */
static void target_group_item_init(void *item, size_t i, yaml_node_t *e)
{
	char src[32];
	(void)e;
	snprintf(src, sizeof(src), "%zu", i);
	((struct scrape_target_group *)item)->source = xstrdup(src);
}

static void target_group_item_clear(void *item)
{
	target_group_clear(item);
}

static const struct ylist target_group_list = {"static_config",
					       target_group_keys,
					       sizeof(struct scrape_target_group),
					       target_group_item_init,
					       NULL,
					       target_group_item_clear};

static int dec_job_static(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_job *j = obj;
	int rc;
	j->static_configs = dec_list(y, n, "static_configs", NULL, &target_group_list,
				     j->static_configs, &j->n_static_configs, &rc);
	return rc;
}

static const struct ykey file_sd_keys[] = {
	KEY("files", YK_STRLIST, struct scrape_file_sd, files),
	KEY("refresh_interval", YK_DUR, struct scrape_file_sd, refresh_interval_ms),
	{0},
};

/* Prometheus's patFileSDName: ^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$ */
static bool file_sd_name_valid(const char *s)
{
	const char *star = strchr(s, '*');
	if (star && (strchr(star + 1, '*') || strchr(star, '/')))
		return false;
	const char *dot = strrchr(s, '.');
	if (!dot)
		return false;
	static const char *const exts[] = {"json", "yml", "yaml", "JSON", "YML", "YAML"};
	for (size_t i = 0; i < 6; i++)
		if (!strcmp(dot + 1, exts[i]))
			return true;
	return false;
}

static void file_sd_item_init(void *item, size_t i, yaml_node_t *e)
{
	(void)i, (void)e;
	((struct scrape_file_sd *)item)->refresh_interval_ms = 5 * MS_MINUTE;
}

static int file_sd_item_check(struct ycx *y, yaml_node_t *e, void *item)
{
	const struct strlist *files = &((struct scrape_file_sd *)item)->files;
	if (files->n == 0)
		return yerr(y, e,
			    "file service discovery config must contain at least one path name");
	for (size_t k = 0; k < files->n; k++)
		if (!file_sd_name_valid(files->items[k]))
			return yerr(y, e, "path name \"%s\" is not valid for file discovery",
				    files->items[k]);
	return 0;
}

static void file_sd_item_clear(void *item)
{
	strlist_clear(&((struct scrape_file_sd *)item)->files);
}

static const struct ylist file_sd_list = {
	"file_sd_config",  file_sd_keys,       sizeof(struct scrape_file_sd),
	file_sd_item_init, file_sd_item_check, file_sd_item_clear};

static int dec_job_file_sd(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_job *j = obj;
	int rc;
	j->file_sd_configs = dec_list(y, n, "file_sd_configs", NULL, &file_sd_list,
				      j->file_sd_configs, &j->n_file_sd_configs, &rc);
	return rc;
}

static int dec_job_relabel(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_job *j = obj;
	return dec_relabel_list(y, n, "relabel_configs",
				"empty or null target relabeling rule in scrape config",
				&j->relabel_configs, &j->n_relabel_configs);
}

static int dec_job_metric_relabel(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_job *j = obj;
	return dec_relabel_list(y, n, "metric_relabel_configs",
				"empty or null metric relabeling rule in scrape config",
				&j->metric_relabel_configs, &j->n_metric_relabel_configs);
}

/* Service discovery mechanisms Prometheus knows but vigil does not implement. */
static int dec_job_other_sd(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_job *j = obj;
	if (!node_null(n) && n->type != YAML_SEQUENCE_NODE)
		return yerr(y, n, "cannot unmarshal %s into a list of service discovery configs",
			    node_kind(n));
	log_warn("config: unsupported service discovery ignored\tjob=%s line=%d",
		 j->job_name ? j->job_name : "", node_line(n));
	return 0;
}

#define JOB_KEY(name, kind, field) KEY(name, kind, struct job_tmp, job.field)

/* prometheus/common's HTTPClientConfig, inlined in scrape, remote and alertmanager configs */
#define HTTP_CLIENT_KEYS                                                                           \
	KEYFN("basic_auth", dec_job_basic_auth), KEYFN("authorization", dec_job_authorization),    \
		KEYFN("oauth2", dec_job_oauth2),                                                   \
		KEY("bearer_token", YK_STR, struct job_tmp, bearer_token),                         \
		KEY("bearer_token_file", YK_STR, struct job_tmp, bearer_token_file),               \
		JOB_KEY("proxy_url", YK_STR, http.proxy_url),                                      \
		KEYFN("proxy_connect_header", dec_job_proxy_header),                               \
		KEYMAP("tls_config", tls_keys, struct job_tmp, job.http.tls),                      \
		JOB_KEY("follow_redirects", YK_BOOL, http.follow_redirects),                       \
		JOB_KEY("enable_http2", YK_BOOL, http.enable_http2)

/* Service discovery mechanisms vigil does not implement, accepted and ignored. */
static const char *const other_sd_keys[] = {
	"azure_sd_configs",	   "consul_sd_configs",
	"digitalocean_sd_configs", "docker_sd_configs",
	"dockerswarm_sd_configs",  "dns_sd_configs",
	"ec2_sd_configs",	   "eureka_sd_configs",
	"gce_sd_configs",	   "hetzner_sd_configs",
	"http_sd_configs",	   "ionos_sd_configs",
	"kubernetes_sd_configs",   "kuma_sd_configs",
	"lightsail_sd_configs",	   "linode_sd_configs",
	"marathon_sd_configs",	   "nerve_sd_configs",
	"nomad_sd_configs",	   "openstack_sd_configs",
	"ovhcloud_sd_configs",	   "puppetdb_sd_configs",
	"scaleway_sd_configs",	   "serverset_sd_configs",
	"triton_sd_configs",	   "uyuni_sd_configs",
	"vultr_sd_configs",	   NULL,
};

static const struct ykey job_keys[] = {
	JOB_KEY("job_name", YK_STR, job_name),
	JOB_KEY("honor_labels", YK_BOOL, honor_labels),
	JOB_KEY("honor_timestamps", YK_BOOL, honor_timestamps),
	KEYFN("params", dec_job_params),
	JOB_KEY("scrape_interval", YK_DUR, scrape_interval_ms),
	JOB_KEY("scrape_timeout", YK_DUR, scrape_timeout_ms),
	JOB_KEY("metrics_path", YK_STR, metrics_path),
	JOB_KEY("scheme", YK_STR, scheme),
	JOB_KEY("body_size_limit", YK_BYTES, body_size_limit),
	JOB_KEY("sample_limit", YK_U64, sample_limit),
	JOB_KEY("target_limit", YK_U64, target_limit),
	JOB_KEY("label_limit", YK_U64, label_limit),
	JOB_KEY("label_name_length_limit", YK_U64, label_name_length_limit),
	JOB_KEY("label_value_length_limit", YK_U64, label_value_length_limit),
	HTTP_CLIENT_KEYS,
	KEYFN("static_configs", dec_job_static),
	KEYFN("file_sd_configs", dec_job_file_sd),
	KEYFN("relabel_configs", dec_job_relabel),
	KEYFN("metric_relabel_configs", dec_job_metric_relabel),
	KEYFN_ANY(other_sd_keys, dec_job_other_sd),
	{0},
};

static void target_group_clear(struct scrape_target_group *g)
{
	strlist_clear(&g->targets);
	lset_free(&g->labels);
	free(g->source);
	g->source = NULL;
}

void scrape_target_group_free(struct scrape_target_group *g)
{
	if (g)
		target_group_clear(g);
}

static void job_free(struct scrape_job *j)
{
	free(j->job_name);
	free(j->fingerprint);
	params_free(j);
	free(j->metrics_path);
	free(j->scheme);
	free(j->http.basic_auth_username);
	free(j->http.basic_auth_password);
	free(j->http.basic_auth_password_file);
	free(j->http.authorization_type);
	free(j->http.authorization_credentials);
	free(j->http.authorization_credentials_file);
	free(j->http.proxy_url);
	tls_free(&j->http.tls);
	list_free(&target_group_list, j->static_configs, j->n_static_configs);
	list_free(&file_sd_list, j->file_sd_configs, j->n_file_sd_configs);
	list_free(&relabel_list, j->relabel_configs, j->n_relabel_configs);
	list_free(&relabel_list, j->metric_relabel_configs, j->n_metric_relabel_configs);
}

static bool str_set(const char *s)
{
	return s && *s;
}

/* Static targets must be host:port when nothing relabels them: a "/" is refused. */
static int check_static_hostnames(struct ycx *y, yaml_node_t *n, const struct scrape_job *j)
{
	for (size_t g = 0; g < j->n_static_configs; g++) {
		const struct strlist *tl = &j->static_configs[g].targets;
		for (size_t i = 0; i < tl->n; i++)
			if (strchr(tl->items[i], '/'))
				return yerr(y, n, "\"%s\" is not a valid hostname", tl->items[i]);
	}
	return 0;
}

/* prometheus/common HTTPClientConfig.Validate(), folding bearer_token(_file) into authorization. */
static int job_validate_http(struct ycx *y, yaml_node_t *n, struct job_tmp *t)
{
	struct scrape_http_client *h = &t->job.http;
	bool bearer = str_set(t->bearer_token) || str_set(t->bearer_token_file);
	if (str_set(t->bearer_token) && str_set(t->bearer_token_file))
		return yerr(y, n,
			    "at most one of bearer_token & bearer_token_file must be configured");
	if ((h->has_basic_auth || h->has_oauth2) && bearer)
		return yerr(y, n,
			    "at most one of basic_auth, oauth2, bearer_token & bearer_token_file "
			    "must be configured");
	if (h->has_basic_auth && str_set(h->basic_auth_password) &&
	    str_set(h->basic_auth_password_file))
		return yerr(
			y, n,
			"at most one of basic_auth password & password_file must be configured");
	if (h->has_authorization) {
		if (bearer)
			return yerr(y, n,
				    "authorization is not compatible with bearer_token & "
				    "bearer_token_file");
		if (str_set(h->authorization_credentials) &&
		    str_set(h->authorization_credentials_file))
			return yerr(y, n,
				    "at most one of authorization credentials & credentials_file "
				    "must be configured");
		/* trim the type; empty means Bearer */
		char *ty = h->authorization_type ? h->authorization_type : "";
		while (*ty == ' ' || *ty == '\t' || *ty == '\n' || *ty == '\r')
			ty++;
		size_t tl = strlen(ty);
		while (tl && (ty[tl - 1] == ' ' || ty[tl - 1] == '\t' || ty[tl - 1] == '\n' ||
			      ty[tl - 1] == '\r'))
			tl--;
		char *trimmed = tl ? xstrndup(ty, tl) : xstrdup("Bearer");
		free(h->authorization_type);
		h->authorization_type = trimmed;
		if (!strcasecmp(trimmed, "basic"))
			return yerr(y, n,
				    "authorization type cannot be set to \"basic\", use "
				    "\"basic_auth\" instead");
		if (h->has_basic_auth || h->has_oauth2)
			return yerr(y, n,
				    "at most one of basic_auth, oauth2 & authorization must be "
				    "configured");
	} else if (bearer) {
		h->has_authorization = true;
		free(h->authorization_type);
		h->authorization_type = xstrdup("Bearer");
		if (str_set(t->bearer_token)) {
			h->authorization_credentials = t->bearer_token;
			t->bearer_token = NULL;
		} else {
			h->authorization_credentials_file = t->bearer_token_file;
			t->bearer_token_file = NULL;
		}
	}
	if (h->has_oauth2) {
		struct oauth2_tmp *o = &t->oauth2;
		if (h->has_basic_auth)
			return yerr(y, n,
				    "at most one of basic_auth, oauth2 & authorization must be "
				    "configured");
		if (!str_set(o->client_id))
			return yerr_line(y, t->oauth2_line, "oauth2 client_id must be configured");
		if (!str_set(o->client_secret) && !str_set(o->client_secret_file))
			return yerr_line(y, t->oauth2_line,
					 "either oauth2 client_secret or client_secret_file must "
					 "be configured");
		if (!str_set(o->token_url))
			return yerr_line(y, t->oauth2_line, "oauth2 token_url must be configured");
		if (str_set(o->client_secret) && str_set(o->client_secret_file))
			return yerr_line(y, t->oauth2_line,
					 "at most one of oauth2 client_secret & client_secret_file "
					 "must be configured");
	}
	return 0;
}

static void oauth2_free(struct oauth2_tmp *o)
{
	free(o->client_id);
	free(o->client_secret);
	free(o->client_secret_file);
	free(o->token_url);
	free(o->proxy_url);
	strlist_clear(&o->scopes);
	tls_free(&o->tls);
}

/* Free what a job_tmp holds beyond its job. */
static void job_tmp_free_extra(struct job_tmp *t)
{
	free(t->bearer_token);
	free(t->bearer_token_file);
	oauth2_free(&t->oauth2);
}

static void resolve_path(char **p, const char *dir)
{
	if (!*p || !**p)
		return;
	char *j = join_dir(dir, *p);
	free(*p);
	*p = j;
}

/* Decode one scrape_configs entry into *out (which the caller frees even on error). */
/* Append a canonical, unambiguous form of node n (aliases resolved) to out. */
static void node_fingerprint(struct ycx *y, yaml_node_t *n, struct buf *out, int depth)
{
	if (depth > 64) {
		buf_puts(out, "!");
		return;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		/* quoting only matters for null: a valid config types every other scalar by its key
		 */
		if (node_null(n)) {
			buf_putc(out, 'n');
			break;
		}
		buf_printf(out, "s%zu:", n->data.scalar.length);
		buf_append(out, n->data.scalar.value, n->data.scalar.length);
		break;
	case YAML_SEQUENCE_NODE:
		buf_putc(out, '[');
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			node_fingerprint(y, yaml_document_get_node(y->doc, *it), out, depth + 1);
		buf_putc(out, ']');
		break;
	case YAML_MAPPING_NODE:
		buf_putc(out, '{');
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			node_fingerprint(y, yaml_document_get_node(y->doc, p->key), out, depth + 1);
			node_fingerprint(y, yaml_document_get_node(y->doc, p->value), out,
					 depth + 1);
		}
		buf_putc(out, '}');
		break;
	default:
		buf_putc(out, '~');
	}
}

bool scrape_job_equal(const struct scrape_job *a, const struct scrape_job *b)
{
	return a->scrape_interval_ms == b->scrape_interval_ms &&
	       a->scrape_timeout_ms == b->scrape_timeout_ms && a->fingerprint && b->fingerprint &&
	       !strcmp(a->fingerprint, b->fingerprint);
}

static int dec_job(struct ycx *y, yaml_node_t *n, const char *dir, struct scrape_job *out)
{
	struct job_tmp t;
	memset(&t, 0, sizeof(t));
	struct scrape_job *j = &t.job;
	j->honor_timestamps = true;
	j->metrics_path = xstrdup("/metrics");
	j->scheme = xstrdup("http");
	j->http.follow_redirects = true;
	j->http.enable_http2 = true;
	j->line = node_line(n);
	struct buf fp = BUF_INIT;
	/* relative paths resolve against the directory, so it is part of the identity */
	buf_printf(&fp, "%s\n", dir);
	node_fingerprint(y, n, &fp, 0);
	j->fingerprint = buf_detach(&fp, NULL);

	int rc = dec_mapping(y, n, "scrape_config", job_keys, &t);
	if (rc < 0)
		goto out;
	if (!str_set(j->job_name)) {
		rc = yerr(y, n, "job_name is empty");
		goto out;
	}
	rc = job_validate_http(y, n, &t);
	if (rc < 0)
		goto out;
	if (j->n_relabel_configs == 0) {
		rc = check_static_hostnames(y, n, j);
		if (rc < 0)
			goto out;
	}
	/* SetDirectory: relative file names are relative to the config file */
	resolve_path(&j->http.basic_auth_password_file, dir);
	resolve_path(&j->http.authorization_credentials_file, dir);
	resolve_path(&j->http.tls.ca_file, dir);
	resolve_path(&j->http.tls.cert_file, dir);
	resolve_path(&j->http.tls.key_file, dir);
	for (size_t f = 0; f < j->n_file_sd_configs; f++) {
		struct strlist *fl = &j->file_sd_configs[f].files;
		for (size_t i = 0; i < fl->n; i++)
			resolve_path(&fl->items[i], dir);
	}
out:
	job_tmp_free_extra(&t);
	*out = t.job;
	return rc;
}

/* ---- top level ---- */

static const struct ykey global_keys[] = {
	KEY("scrape_interval", YK_DUR, struct scrape_config, global.scrape_interval_ms),
	KEY("scrape_timeout", YK_DUR, struct scrape_config, global.scrape_timeout_ms),
	KEY("evaluation_interval", YK_DUR, struct scrape_config, global.evaluation_interval_ms),
	KEY("query_log_file", YK_STR, struct scrape_config, global.query_log_file),
	KEY("external_labels", YK_LABELS, struct scrape_config, global.external_labels),
	{0},
};

static int dec_global(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_config *c = obj;
	if (node_null(n))
		return 0;
	/* GlobalConfig.UnmarshalYAML starts from zero and fills defaults after */
	c->global.scrape_interval_ms = 0;
	c->global.scrape_timeout_ms = 0;
	c->global.evaluation_interval_ms = 0;
	int rc = dec_mapping(y, n, "global", global_keys, c);
	if (rc < 0)
		return rc;
	if (c->global.scrape_interval_ms == 0)
		c->global.scrape_interval_ms = MS_MINUTE;
	if (c->global.scrape_timeout_ms > c->global.scrape_interval_ms)
		return yerr(y, n, "global scrape timeout greater than scrape interval");
	if (c->global.scrape_timeout_ms == 0)
		c->global.scrape_timeout_ms = 10 * MS_SECOND < c->global.scrape_interval_ms
						      ? 10 * MS_SECOND
						      : c->global.scrape_interval_ms;
	if (c->global.evaluation_interval_ms == 0)
		c->global.evaluation_interval_ms = MS_MINUTE;
	return 0;
}

/* Prometheus's patRulePath: ^[^*]*(\*[^/]*)?$ */
static bool rule_path_valid(const char *s)
{
	const char *star = strchr(s, '*');
	return !star || (!strchr(star + 1, '*') && !strchr(star, '/'));
}

static int dec_rule_files(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_config *c = obj;
	int rc = dec_strlist(y, n, "rule_files", &c->rule_files);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < c->rule_files.n; i++)
		if (!rule_path_valid(c->rule_files.items[i]))
			return yerr(y, n, "invalid rule file path \"%s\"", c->rule_files.items[i]);
	return 0;
}

/* Where the scrape_configs node is, decoded after global so jobs inherit it. */
struct top_tmp {
	struct scrape_config cfg;
	yaml_node_t *scrape_configs;
};

static int dec_scrape_configs_later(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct top_tmp *t = obj;
	size_t cnt;
	int rc = seq_len(y, n, "scrape_configs", &cnt);
	if (rc == 0)
		t->scrape_configs = n;
	return rc;
}

/*
 * remote_write, remote_read, alerting and tracing are checked as Prometheus
 * checks them (keys, types, required fields, HTTP client rules) but only the
 * URLs and the Alertmanager count are kept for now.
 */
struct section_tmp {
	struct job_tmp jt; /* first: the HTTP client keys and SD configs decode into it */
	char *url, *name, *str_sink;
	int64_t dur_sink, int_sink;
	double float_sink;
	bool bool_sink;
	bool has_sigv4;
	char *api_version, *client_type, *endpoint, *compression;
	struct lset labels_sink;
	struct relabel_rule *rules;
	size_t n_rules;
};

static void section_tmp_free(struct section_tmp *t)
{
	job_free(&t->jt.job);
	job_tmp_free_extra(&t->jt);
	free(t->url);
	free(t->name);
	free(t->str_sink);
	free(t->api_version);
	free(t->client_type);
	free(t->endpoint);
	free(t->compression);
	lset_free(&t->labels_sink);
	list_free(&relabel_list, t->rules, t->n_rules);
}

static const char *const reserved_headers[] = {
	"host",
	"content-encoding",
	"content-length",
	"content-type",
	"user-agent",
	"connection",
	"keep-alive",
	"proxy-authenticate",
	"proxy-authorization",
	"www-authenticate",
	"accept-encoding",
	"x-prometheus-remote-write-version",
	"x-prometheus-remote-read-version",
	"x-amz-date",
	"x-amz-security-token",
	"x-amz-content-sha256",
	NULL,
};

/* headers: a map of strings; Authorization and reserved names are refused. */
static int dec_headers_common(struct ycx *y, yaml_node_t *n, bool tracing)
{
	size_t cnt;
	int rc = map_len(y, n, "headers", &cnt);
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		yaml_node_t *k = map_key(y->doc, n, i), *v = map_value(y->doc, n, i);
		if (v->type != YAML_SCALAR_NODE)
			return yerr(y, v, "cannot unmarshal %s into string", node_kind(v));
		if (!strcasecmp(scalar(k), "authorization"))
			return yerr(
				y, k, "%s",
				tracing ? "custom authorization header configuration is not yet "
					  "supported"
					: "authorization header must be changed via the "
					  "basic_auth, authorization, oauth2, or sigv4 parameter");
		for (const char *const *r = reserved_headers; *r; r++)
			if (!strcasecmp(scalar(k), *r))
				return yerr(y, k, "%s is a reserved header. It must not be changed",
					    scalar(k));
	}
	return rc;
}

static int dec_headers(struct ycx *y, yaml_node_t *n, void *obj)
{
	return dec_headers_common(y, n, false);
}

static int dec_tracing_headers(struct ycx *y, yaml_node_t *n, void *obj)
{
	return dec_headers_common(y, n, true);
}

static const struct ykey queue_keys[] = {
	KEY("capacity", YK_I64, struct section_tmp, int_sink),
	KEY("max_shards", YK_I64, struct section_tmp, int_sink),
	KEY("min_shards", YK_I64, struct section_tmp, int_sink),
	KEY("max_samples_per_send", YK_I64, struct section_tmp, int_sink),
	KEY("batch_send_deadline", YK_DUR, struct section_tmp, dur_sink),
	KEY("min_backoff", YK_DUR, struct section_tmp, dur_sink),
	KEY("max_backoff", YK_DUR, struct section_tmp, dur_sink),
	KEY("retry_on_http_429", YK_BOOL, struct section_tmp, bool_sink),
	{0},
};

static const struct ykey metadata_keys[] = {
	KEY("send", YK_BOOL, struct section_tmp, bool_sink),
	KEY("send_interval", YK_DUR, struct section_tmp, dur_sink),
	KEY("max_samples_per_send", YK_I64, struct section_tmp, int_sink),
	{0},
};

static const struct ykey sigv4_keys[] = {
	KEY("region", YK_STR, struct section_tmp, str_sink),
	KEY("access_key", YK_STR, struct section_tmp, str_sink),
	KEY("secret_key", YK_STR, struct section_tmp, str_sink),
	KEY("profile", YK_STR, struct section_tmp, str_sink),
	KEY("role_arn", YK_STR, struct section_tmp, str_sink),
	{0},
};

static int dec_sigv4(struct ycx *y, yaml_node_t *n, void *obj)
{
	return dec_optional(y, n, "sigv4", sigv4_keys, obj,
			    &((struct section_tmp *)obj)->has_sigv4);
}

static int dec_write_relabel(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct section_tmp *t = obj;
	return dec_relabel_list(y, n, "write_relabel_configs",
				"empty or null relabeling rule in remote write config", &t->rules,
				&t->n_rules);
}

static int dec_am_relabel(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct section_tmp *t = obj;
	return dec_relabel_list(y, n, "relabel_configs",
				"empty or null Alertmanager target relabeling rule", &t->rules,
				&t->n_rules);
}

static const struct ykey remote_write_keys[] = {
	KEY("url", YK_STR, struct section_tmp, url),
	KEY("remote_timeout", YK_DUR, struct section_tmp, dur_sink),
	KEYFN("headers", dec_headers),
	KEYFN("write_relabel_configs", dec_write_relabel),
	KEY("name", YK_STR, struct section_tmp, name),
	KEY("send_exemplars", YK_BOOL, struct section_tmp, bool_sink),
	KEY("send_native_histograms", YK_BOOL, struct section_tmp, bool_sink),
	HTTP_CLIENT_KEYS,
	KEYNEST("queue_config", queue_keys),
	KEYNEST("metadata_config", metadata_keys),
	KEYFN("sigv4", dec_sigv4),
	{0},
};

static const struct ykey remote_read_keys[] = {
	KEY("url", YK_STR, struct section_tmp, url),
	KEY("remote_timeout", YK_DUR, struct section_tmp, dur_sink),
	KEYFN("headers", dec_headers),
	KEY("read_recent", YK_BOOL, struct section_tmp, bool_sink),
	KEY("name", YK_STR, struct section_tmp, name),
	HTTP_CLIENT_KEYS,
	KEY("required_matchers", YK_LABELS, struct section_tmp, labels_sink),
	KEY("filter_external_labels", YK_BOOL, struct section_tmp, bool_sink),
	{0},
};

static int dec_remote(struct ycx *y, yaml_node_t *n, bool write, struct strlist *urls)
{
	const char *what = write ? "remote_write" : "remote_read";
	struct strlist names = {0};
	size_t cnt;
	int rc = seq_len(y, n, what, &cnt);
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		yaml_node_t *e = seq_item(y->doc, n, i);
		struct section_tmp t;
		memset(&t, 0, sizeof(t));
		if (node_null(e)) {
			rc = yerr(y, e, "empty or null %s config section",
				  write ? "remote write" : "remote read");
			break;
		}
		rc = dec_mapping(y, e, what, write ? remote_write_keys : remote_read_keys, &t);
		if (rc == 0 && !str_set(t.url))
			rc = yerr(y, e, "url for %s is empty", what);
		if (rc == 0)
			rc = job_validate_http(y, e, &t.jt);
		if (rc == 0 && write && t.has_sigv4 &&
		    (t.jt.job.http.has_basic_auth || t.jt.job.http.has_authorization ||
		     t.jt.job.http.has_oauth2))
			rc = yerr(y, e,
				  "at most one of basic_auth, authorization, oauth2, & sigv4 must "
				  "be configured");
		if (rc == 0 && str_set(t.name)) {
			if (strlist_contains(&names, t.name))
				rc = yerr(y, e, "found multiple %s configs with job name \"%s\"",
					  write ? "remote write" : "remote read", t.name);
			strlist_push(&names, t.name);
		}
		if (rc == 0)
			strlist_push(urls, t.url);
		section_tmp_free(&t);
	}
	strlist_clear(&names);
	return rc;
}

static int dec_remote_write(struct ycx *y, yaml_node_t *n, void *obj)
{
	return dec_remote(y, n, true, &((struct scrape_config *)obj)->remote_write_urls);
}

static int dec_remote_read(struct ycx *y, yaml_node_t *n, void *obj)
{
	return dec_remote(y, n, false, &((struct scrape_config *)obj)->remote_read_urls);
}

static const struct ykey alertmanager_keys[] = {
	HTTP_CLIENT_KEYS,
	KEY("scheme", YK_STR, struct section_tmp, str_sink),
	KEY("path_prefix", YK_STR, struct section_tmp, str_sink),
	KEY("timeout", YK_DUR, struct section_tmp, dur_sink),
	KEY("api_version", YK_STR, struct section_tmp, api_version),
	KEYFN("relabel_configs", dec_am_relabel),
	KEYFN("static_configs", dec_job_static),
	KEYFN("file_sd_configs", dec_job_file_sd),
	KEYFN_ANY(other_sd_keys, dec_job_other_sd),
	{0},
};

static int dec_alertmanagers(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct scrape_config *c = obj;
	size_t cnt;
	int rc = seq_len(y, n, "alertmanagers", &cnt);
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		yaml_node_t *e = seq_item(y->doc, n, i);
		struct section_tmp t;
		memset(&t, 0, sizeof(t));
		if (node_null(e))
			return yerr(y, e, "empty or null section in alertmanagers");
		rc = dec_mapping(y, e, "alertmanager_config", alertmanager_keys, &t);
		if (rc == 0 && t.api_version && strcmp(t.api_version, "v1") &&
		    strcmp(t.api_version, "v2"))
			rc = yerr(
				y, e,
				"expected Alertmanager api version to be one of [v1 v2] but got %s",
				t.api_version);
		if (rc == 0)
			rc = job_validate_http(y, e, &t.jt);
		if (rc == 0 && t.n_rules == 0)
			rc = check_static_hostnames(y, e, &t.jt.job);
		if (rc == 0)
			c->n_alertmanagers++;
		section_tmp_free(&t);
	}
	return rc;
}

static int dec_alert_relabel(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct relabel_rule *rules = NULL;
	size_t nr = 0;
	int rc = dec_relabel_list(y, n, "alert_relabel_configs",
				  "empty or null alert relabeling rule", &rules, &nr);
	list_free(&relabel_list, rules, nr);
	return rc;
}

static const struct ykey alerting_keys[] = {
	KEYFN("alert_relabel_configs", dec_alert_relabel),
	KEYFN("alertmanagers", dec_alertmanagers),
	{0},
};

static const struct ykey tsdb_keys[] = {
	KEY("out_of_order_time_window", YK_DUR, struct section_tmp, dur_sink),
	{0},
};

static const struct ykey exemplars_keys[] = {
	KEY("max_exemplars", YK_I64, struct section_tmp, int_sink),
	{0},
};

static const struct ykey storage_keys[] = {
	KEYNEST("tsdb", tsdb_keys),
	KEYNEST("exemplars", exemplars_keys),
	{0},
};

static int dec_storage(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct section_tmp t;
	memset(&t, 0, sizeof(t));
	int rc = dec_mapping(y, n, "storage", storage_keys, &t);
	section_tmp_free(&t);
	return rc;
}

static const struct ykey tracing_keys[] = {
	KEY("client_type", YK_STR, struct section_tmp, client_type),
	KEY("endpoint", YK_STR, struct section_tmp, endpoint),
	KEY("sampling_fraction", YK_F64, struct section_tmp, float_sink),
	KEY("insecure", YK_BOOL, struct section_tmp, bool_sink),
	KEYMAP("tls_config", tls_keys, struct section_tmp, jt.job.http.tls),
	KEYFN("headers", dec_tracing_headers),
	KEY("compression", YK_STR, struct section_tmp, compression),
	KEY("timeout", YK_DUR, struct section_tmp, dur_sink),
	{0},
};

static int dec_tracing(struct ycx *y, yaml_node_t *n, void *obj)
{
	struct section_tmp t;
	if (node_null(n))
		return 0;
	memset(&t, 0, sizeof(t));
	int rc = dec_mapping(y, n, "tracing", tracing_keys, &t);
	if (rc == 0 && t.client_type && strcmp(t.client_type, "http") &&
	    strcmp(t.client_type, "grpc"))
		rc = yerr(y, n, "expected tracing client type to be to be http or grpc, but got %s",
			  t.client_type);
	if (rc == 0 && !str_set(t.endpoint))
		rc = yerr(y, n, "tracing endpoint must be set");
	if (rc == 0 && str_set(t.compression) && strcmp(t.compression, "gzip"))
		rc = yerr(y, n, "invalid compression type %s provided, valid options: gzip",
			  t.compression);
	section_tmp_free(&t);
	return rc;
}

static const struct ykey top_keys[] = {
	KEYFN("global", dec_global),
	KEYNEST("alerting", alerting_keys),
	KEYFN("rule_files", dec_rule_files),
	KEYFN("scrape_configs", dec_scrape_configs_later),
	KEYFN("storage", dec_storage),
	KEYFN("tracing", dec_tracing),
	KEYFN("remote_write", dec_remote_write),
	KEYFN("remote_read", dec_remote_read),
	{0},
};

void scrape_config_free(struct scrape_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->global.query_log_file);
	lset_free(&cfg->global.external_labels);
	strlist_clear(&cfg->rule_files);
	for (size_t i = 0; i < cfg->n_jobs; i++)
		job_free(&cfg->jobs[i]);
	free(cfg->jobs);
	strlist_clear(&cfg->remote_write_urls);
	strlist_clear(&cfg->remote_read_urls);
	free(cfg);
}

/* Load a YAML document from text; a parse error is reported with its line. */
static int yaml_load(struct ycx *y, yaml_document_t *doc, const char *text, size_t len)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return yerr_line(y, 0, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int rc = 0;
	if (!yaml_parser_load(&parser, doc)) {
		rc = yerr_line(y, (int)parser.problem_mark.line + 1, "yaml: %s%s%s",
			       parser.problem ? parser.problem : "parse error",
			       parser.context ? " " : "", parser.context ? parser.context : "");
	}
	yaml_parser_delete(&parser);
	return rc;
}

static char *dir_of(const char *path)
{
	char *tmp = xstrdup(path);
	char *d = xstrdup(dirname(tmp));
	free(tmp);
	return d;
}

int scrape_config_load_string(const char *text, size_t len, const char *name,
			      struct scrape_config **out, char *err, size_t errlen)
{
	struct ycx y = {.file = name, .err = err, .errlen = errlen};
	yaml_document_t doc;
	struct top_tmp *t = xcalloc(1, sizeof(*t));
	struct scrape_config *c = &t->cfg;
	char *dir = dir_of(name);
	bool have_doc = false;
	int rc;

	c->path = xstrdup(name);
	c->global.scrape_interval_ms = MS_MINUTE;
	c->global.scrape_timeout_ms = 10 * MS_SECOND;
	c->global.evaluation_interval_ms = MS_MINUTE;

	rc = yaml_load(&y, &doc, text, len);
	if (rc < 0)
		goto fail;
	have_doc = true;
	y.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && !node_null(root)) {
		rc = dec_mapping(&y, root, "config", top_keys, t);
		if (rc < 0)
			goto fail;
	}
	if (t->scrape_configs && !node_null(t->scrape_configs)) {
		yaml_node_t *sc = t->scrape_configs;
		size_t cnt = (size_t)(sc->data.sequence.items.top - sc->data.sequence.items.start);
		c->jobs = xcalloc(cnt ? cnt : 1, sizeof(*c->jobs));
		for (size_t i = 0; i < cnt; i++) {
			yaml_node_t *e = seq_item(&doc, sc, i);
			if (node_null(e)) {
				rc = yerr(&y, e, "empty or null scrape config section");
				goto fail;
			}
			rc = dec_job(&y, e, dir, &c->jobs[c->n_jobs]);
			c->n_jobs++;
			if (rc < 0)
				goto fail;
		}
	}
	/* inherit the global defaults, then check across jobs (Config.UnmarshalYAML) */
	for (size_t i = 0; i < c->n_jobs; i++) {
		struct scrape_job *j = &c->jobs[i];
		if (j->scrape_interval_ms == 0)
			j->scrape_interval_ms = c->global.scrape_interval_ms;
		if (j->scrape_timeout_ms > j->scrape_interval_ms) {
			rc = yerr_line(&y, j->line,
				       "scrape timeout greater than scrape interval for scrape "
				       "config with job name \"%s\"",
				       j->job_name);
			goto fail;
		}
		if (j->scrape_timeout_ms == 0)
			j->scrape_timeout_ms = c->global.scrape_timeout_ms > j->scrape_interval_ms
						       ? j->scrape_interval_ms
						       : c->global.scrape_timeout_ms;
		for (size_t k = 0; k < i; k++) {
			if (!strcmp(c->jobs[k].job_name, j->job_name)) {
				rc = yerr_line(&y, j->line,
					       "found multiple scrape configs with job name \"%s\"",
					       j->job_name);
				goto fail;
			}
		}
	}
	for (size_t i = 0; i < c->rule_files.n; i++)
		resolve_path(&c->rule_files.items[i], dir);
	resolve_path(&c->global.query_log_file, dir);

	*out = c;
	c = NULL;
	rc = 0;
fail:
	if (have_doc)
		yaml_document_delete(&doc);
	scrape_config_free(c);
	if (rc < 0)
		*out = NULL;
	free(dir);
	return rc;
}

int scrape_config_load_file(const char *path, struct scrape_config **out, char *err, size_t errlen)
{
	struct buf text = BUF_INIT;
	int rc = read_file_buf(path, &text);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
		*out = NULL;
		goto out;
	}
	rc = scrape_config_load_string(text.data ? text.data : "", text.len, path, out, err,
				       errlen);
out:
	buf_free(&text);
	return rc;
}

int scrape_config_reload(const char *path, struct scrape_config **current, char *err, size_t errlen)
{
	struct scrape_config *fresh = NULL;
	int rc = scrape_config_load_file(path, &fresh, err, errlen);
	if (rc < 0)
		return rc;
	scrape_config_free(*current);
	*current = fresh;
	return 0;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool shell_special(char c)
{
	return strchr("*#$@!?-", c) || (c >= '0' && c <= '9');
}

/* Go's os.Expand with Prometheus's mapping (os.Getenv, "$" for "$$"). */
static char *expand_env(const char *s)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "");
	for (size_t j = 0; s[j]; j++) {
		if (s[j] != '$' || !s[j + 1]) {
			buf_putc(&b, s[j]);
			continue;
		}
		const char *t = s + j + 1;
		const char *name = NULL;
		size_t nlen = 0, w = 0;
		if (t[0] == '{') {
			if (t[1] && shell_special(t[1]) && t[2] == '}') {
				name = t + 1;
				nlen = 1;
				w = 3;
			} else {
				const char *close = strchr(t + 1, '}');
				if (!close)
					w = 1; /* bad syntax: eat "${" */
				else if (close == t + 1)
					w = 2; /* bad syntax: eat "${}" */
				else {
					name = t + 1;
					nlen = (size_t)(close - t - 1);
					w = nlen + 2;
				}
			}
		} else if (shell_special(t[0])) {
			name = t;
			nlen = w = 1;
		} else {
			while (is_name_char(t[w]))
				w++;
			if (w) {
				name = t;
				nlen = w;
			}
		}
		if (name) {
			char *var = xstrndup(name, nlen);
			const char *v = !strcmp(var, "$") ? "$" : getenv(var);
			if (!v || !*v) {
				log_warn("config: empty environment variable\tname=%s", var);
				v = "";
			}
			buf_puts(&b, v);
			free(var);
		} else if (w == 0) {
			buf_putc(&b, '$'); /* "$" not followed by a name stays */
		}
		j += w;
	}
	return buf_detach(&b, NULL);
}

void scrape_config_expand_external_labels(struct scrape_config *cfg)
{
	struct lset out = LSET_INIT;
	for (size_t i = 0; i < cfg->global.external_labels.n; i++) {
		char *v = expand_env(cfg->global.external_labels.v[i].value);
		lset_set(&out, cfg->global.external_labels.v[i].name, v);
		free(v);
	}
	lset_free(&cfg->global.external_labels);
	cfg->global.external_labels = out;
}

const struct scrape_job *scrape_config_job(const struct scrape_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_jobs; i++)
		if (!strcmp(cfg->jobs[i].job_name, name))
			return &cfg->jobs[i];
	return NULL;
}

int scrape_target_groups_parse_yaml(const char *text, size_t len, const char *name,
				    struct scrape_target_group **groups, size_t *n, char *err,
				    size_t errlen)
{
	struct ycx y = {.file = name, .err = err, .errlen = errlen};
	yaml_document_t doc;
	struct scrape_target_group *g = NULL;
	size_t ng = 0;
	*groups = NULL;
	*n = 0;
	int rc = yaml_load(&y, &doc, text, len);
	if (rc < 0)
		return rc;
	y.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && !node_null(root)) {
		if (root->type != YAML_SEQUENCE_NODE) {
			rc = yerr(&y, root, "cannot unmarshal %s into a list of target groups",
				  node_kind(root));
			goto out;
		}
		size_t cnt =
			(size_t)(root->data.sequence.items.top - root->data.sequence.items.start);
		g = xcalloc(cnt ? cnt : 1, sizeof(*g));
		for (size_t i = 0; i < cnt; i++) {
			yaml_node_t *e = seq_item(&doc, root, i);
			ng++;
			if (node_null(e)) {
				rc = yerr(&y, e, "nil target group item found (index %zu)", i);
				goto out;
			}
			rc = dec_mapping(&y, e, "target group", target_group_keys, &g[i]);
			if (rc < 0)
				goto out;
		}
	}
	*groups = g;
	*n = ng;
	g = NULL;
	ng = 0;
out:
	for (size_t i = 0; i < ng; i++)
		target_group_clear(&g[i]);
	free(g);
	yaml_document_delete(&doc);
	return rc;
}
