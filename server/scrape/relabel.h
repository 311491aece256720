/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus relabeling (relabel_configs, metric_relabel_configs): each rule
 * joins its source label values with the separator, matches the fully
 * anchored regex against the result and applies its action.  Semantics follow
 * Prometheus 2.42's model/relabel: a replacement or target label of the
 * replace action expands $1, ${1}, $name and ${name} as Go's
 * regexp.Expand does; a result that is empty, or a target name that is not a
 * valid label name, removes the target label; hashmod takes the MD5 of the
 * joined value and reduces its last 8 bytes (big-endian) modulo the modulus.
 *
 * A struct relabel_rule owns its strings and compiled regex;
 * relabel_rule_free() releases them.
 */
#ifndef VIGIL_SCRAPE_RELABEL_H
#define VIGIL_SCRAPE_RELABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strutil.h"
#include "server/scrape/labels.h"

enum relabel_action {
	RELABEL_REPLACE = 0,
	RELABEL_KEEP,
	RELABEL_DROP,
	RELABEL_KEEPEQUAL,
	RELABEL_DROPEQUAL,
	RELABEL_HASHMOD,
	RELABEL_LABELMAP,
	RELABEL_LABELDROP,
	RELABEL_LABELKEEP,
	RELABEL_LOWERCASE,
	RELABEL_UPPERCASE,
};

struct relabel_rule {
	enum relabel_action action;
	struct strlist source_labels;
	bool source_labels_set; /* the key was present (even as []) */
	char *separator;	/* default ";" */
	char *regex_src;	/* as written, default "(.*)" */
	bool regex_set;		/* the key was present */
	struct vregex *regex;	/* ^(?:regex_src)$ */
	uint64_t modulus;
	char *target_label; /* default "" */
	char *replacement;  /* default "$1" */
	int line;	    /* line of the rule in its file, for messages */
};

/* Fill r with Prometheus's defaults (replace, ";", "(.*)", "$1"); the regex is not compiled yet. */
void relabel_rule_init(struct relabel_rule *r);
void relabel_rule_free(struct relabel_rule *r);
/* Parse an action name, case-insensitively; 0 or -EINVAL. */
int relabel_action_parse(const char *s, enum relabel_action *out);
/* The lower-case name of an action. */
const char *relabel_action_name(enum relabel_action a);

/*
 * Compile the regex and check the rule as Prometheus does when it loads a
 * config.  On error returns -EINVAL with Prometheus's message in err.
 */
int relabel_rule_prepare(struct relabel_rule *r, char *err, size_t errlen);

/*
 * Apply n rules in order to ls, in place.  Returns false when a rule drops
 * the set (ls is then left in an unspecified state), true otherwise.
 */
bool relabel_process(struct lset *ls, const struct relabel_rule *rules, size_t n);

/*
 * Expand template as Go's regexp.Expand: $$ is "$", $N/${N} group N, $name/${name}
 * a named group; groups that did not match or do not exist give "".
 * ov holds the group offsets into src (see vregex_exec()).
 */
struct buf;
void relabel_expand(struct buf *out, const struct vregex *re, const char *tmpl, const char *src,
		    const size_t *ov, size_t ngroups);

#endif
