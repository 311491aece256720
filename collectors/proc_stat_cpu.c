// SPDX-License-Identifier: Apache-2.0
/*
 * cpu: node_exporter's cpu collector.
 *
 * - /proc/stat cpu<N> lines: node_cpu_seconds_total{cpu,mode} (user, nice,
 *   system, idle, iowait, irq, softirq, steal) and, with
 *   --collector.cpu.guest (default on), node_cpu_guest_seconds_total{cpu,
 *   mode} (user, nice).  Ticks are divided by USER_HZ 100.  Format:
 *   https://www.kernel.org/doc/html/latest/filesystems/proc.html ("1.8
 *   Miscellaneous kernel statistics in /proc/stat"); parser shared with the
 *   stat collector in collectors/proc_stat_common.h.
 *   Counters that go backwards are held at their last value, and a cpu
 *   whose idle time drops by 3 s or more (hotplug) starts over, as in
 *   node_exporter; the last values live in one mutex-protected table shared
 *   by all scrape threads, so every scrape sees the same guarded counters.
 * - with --collector.cpu.info, /proc/cpuinfo ("key\t: value" lines, one
 *   block per processor; parsed as procfs does on x86, or on arm/arm64 in
 *   its arm way, where flags come from "Features" and most info labels are
 *   empty; other architectures get the x86 parser):
 *   node_cpu_info{package,core,cpu,vendor,family,model,model_name,
 *   microcode,stepping,cachesize} 1,
 *   node_cpu_frequency_hertz{package,core,cpu} from "cpu MHz" when the
 *   cpufreq collector is enabled too, and node_cpu_flag_info{flag} /
 *   node_cpu_bug_info{bug} for the flags and bugs of the first processor
 *   that match --collector.cpu.info.flags-include / bugs-include (setting
 *   either turns cpu.info on).
 *   https://www.kernel.org/doc/html/latest/filesystems/proc.html (cpuinfo)
 * - /sys/devices/system/cpu/isolated (read once at start):
 *   node_cpu_isolated{cpu} 1.
 * - /sys/devices/system/cpu/cpu<N>/topology/{physical_package_id,core_id}
 *   and thermal_throttle/{core,package}_throttle_count:
 *   node_cpu_core_throttles_total{package,core} and
 *   node_cpu_package_throttles_total{package}, each read once per core or
 *   package.  https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-devices-system-cpu
 * - /sys/devices/system/cpu/cpu<N>/online: node_cpu_online{cpu}, only when
 *   the first cpu directory has the file.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_stat_common.h"
#include "common/log.h"
#include "common/strutil.h"

/* An idle counter dropping by this many seconds means the cpu was replugged. */
#define CPU_JUMP_BACK_SECONDS 3.0

static bool cpu_guest;
static bool cpu_info;
static char *cpu_flags_include;
static char *cpu_bugs_include;

static const struct flag_def cpu_flags[] = {
	{"collector.cpu.guest", FLAG_BOOL, &cpu_guest, "true",
	 "Enables metric node_cpu_guest_seconds_total", NULL, NULL},
	{"collector.cpu.info", FLAG_BOOL, &cpu_info, "false", "Enables metric cpu_info", NULL,
	 NULL},
	{"collector.cpu.info.flags-include", FLAG_STRING, &cpu_flags_include, NULL,
	 "Filter the `flags` field in cpuInfo with a value that must be a regular expression", NULL,
	 NULL},
	{"collector.cpu.info.bugs-include", FLAG_STRING, &cpu_bugs_include, NULL,
	 "Filter the `bugs` field in cpuInfo with a value that must be a regular expression", NULL,
	 NULL},
};

/* Set once by setup, read-only while scraping. */
static struct vregex *cpu_flags_re, *cpu_bugs_re;
static uint16_t *cpu_isolated;
static size_t cpu_nisolated, cpu_capisolated;
static bool cpu_have_isolated;

/* The backwards-jump guard: last exported values per cpu, shared by all threads. */
static struct {
	pthread_mutex_t mu;
	struct proc_stat_cpu *cpus;
	size_t n, cap;
} cpu_guard = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* One processor block of /proc/cpuinfo; strings point into the pfile buffer. */
struct cpuinfo_cpu {
	unsigned processor;
	const char *vendor, *family, *model, *model_name, *stepping, *microcode, *cachesize;
	const char *physical_id, *core_id, *flags, *bugs;
	double mhz;
};

struct cpu_throttle {
	uint64_t package, core, count;
};

struct cpu_state {
	struct pfile *stat, *cpuinfo;
	struct proc_stat_info info;
	struct proc_stat_cpu *guarded; /* this scrape's values after the guard */
	size_t capguarded;
	struct cpuinfo_cpu *infos;
	size_t ninfos, capinfos;
	struct dir_list dirs;
	struct cpu_throttle *pkgs, *cores;
	size_t npkgs, ncores, cappkgs, capcores;
};

void cpu_guard_reset(void)
{
	pthread_mutex_lock(&cpu_guard.mu);
	free(cpu_guard.cpus);
	cpu_guard.cpus = NULL;
	cpu_guard.n = cpu_guard.cap = 0;
	pthread_mutex_unlock(&cpu_guard.mu);
}

static int cpu_setup(char *errbuf, size_t errlen)
{
	bool want_flags = cpu_flags_include && *cpu_flags_include;
	bool want_bugs = cpu_bugs_include && *cpu_bugs_include;
	if ((want_flags || want_bugs) && !cpu_info) {
		cpu_info = true;
		log_info(
			"--collector.cpu.info has been set to `true` because you set the following "
			"flags, like --collector.cpu.info.flags-include and "
			"--collector.cpu.info.bugs-include");
	}
	vregex_free(cpu_flags_re);
	vregex_free(cpu_bugs_re);
	cpu_flags_re = cpu_bugs_re = NULL;
	char reason[256];
	if (want_flags &&
	    !(cpu_flags_re = vregex_compile(cpu_flags_include, false, reason, sizeof(reason))))
		goto bad_regex;
	if (want_bugs &&
	    !(cpu_bugs_re = vregex_compile(cpu_bugs_include, false, reason, sizeof(reason))))
		goto bad_regex;

	/* the isolated cpus are read once, as node_exporter reads them at start */
	char path[PATH_MAX], buf[4096];
	cpu_nisolated = 0;
	cpu_have_isolated = false;
	int rc = read_small_file(sys_path(path, "devices/system/cpu/isolated"), buf, sizeof(buf));
	if (rc == -ENOENT) {
		log_debug("couldn't open isolated file\tpath=%s", path);
		return 0;
	}
	if (rc >= 0)
		rc = cpu_parse_range(buf, &cpu_isolated, &cpu_nisolated, &cpu_capisolated);
	if (rc < 0) {
		snprintf(errbuf, errlen, "cpu: unable to get isolated cpus from %s: %s", path,
			 rc == -EINVAL ? "invalid cpu list" : strerror(-rc));
		return rc;
	}
	cpu_have_isolated = true;
	return 0;

bad_regex:
	snprintf(errbuf, errlen,
		 "fail to compile --collector.cpu.info.flags-include and "
		 "--collector.cpu.info.bugs-include, the values of them must be regular "
		 "expressions: %s",
		 reason);
	return -EINVAL;
}

/*
 * Go's strconv.ParseUint(s, 0, 32): decimal, or 0x/0o/0b/0 prefixed.
 * (Underscores, which Go accepts with a prefix, are refused.)
 */
static bool cpu_parse_uint0(const char *s, unsigned *out)
{
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		base = 8;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s += 1;
	}
	if (!*s)
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (d >= base)
			return false;
		v = v * base + d;
		if (v > UINT32_MAX)
			return false;
	}
	*out = (unsigned)v;
	return true;
}

/* The cpuinfo keys whose value must parse although nothing uses it. */
static bool cpuinfo_check_only(const char *key, const char *val)
{
	static const char *const uints[] = {"siblings", "cpu cores", "cpuid level", "clflush size",
					    "cache_alignment"};
	unsigned u;
	double d;
	for (size_t i = 0; i < ARRAY_SIZE(uints); i++)
		if (strcmp(key, uints[i]) == 0)
			return cpu_parse_uint0(val, &u);
	if (strcmp(key, "bogomips") == 0)
		return parse_go_float(val, strlen(val), &d) == 0;
	return true;
}

/* A processor whose lines are still to come: every text field empty. */
static const struct cpuinfo_cpu cpuinfo_blank = {
	.vendor = "",
	.family = "",
	.model = "",
	.model_name = "",
	.stepping = "",
	.microcode = "",
	.cachesize = "",
	.physical_id = "",
	.core_id = "",
	.flags = "",
	.bugs = "",
};

static struct cpuinfo_cpu *cpuinfo_new(struct cpu_state *st, unsigned processor)
{
	if (st->ninfos == st->capinfos) {
		st->capinfos = st->capinfos ? st->capinfos * 2 : 16;
		st->infos = xrealloc(st->infos, st->capinfos * sizeof(*st->infos));
	}
	struct cpuinfo_cpu *c = &st->infos[st->ninfos++];
	*c = cpuinfo_blank;
	c->processor = processor;
	return c;
}

/*
 * Split a cpuinfo line at its first ": " (procfs's strings.SplitN(line,
 * ": ", 2)): the key, blanks trimmed, and the value as written.  Returns
 * false when there is no ": ".
 */
static bool cpuinfo_split(char *line, char **key, char **val)
{
	size_t n = strlen(line);
	if (n && line[n - 1] == '\r') /* bufio.ScanLines drops one \r */
		line[n - 1] = '\0';
	char *sep = strstr(line, ": ");
	if (!sep)
		return false;
	*sep = '\0';
	*val = sep + 2;
	*key = trim_space(line);
	return true;
}

/*
 * Move *l on to the next line of pf after it that cpuinfo_split() splits
 * into *key and *val; false at the end of the file.
 */
static bool cpuinfo_next(const struct pfile *pf, size_t *l, char **key, char **val)
{
	while (++*l < pfile_lines(pf))
		if (pfile_words(pf, *l) && cpuinfo_split((char *)pfile_word(pf, *l, 0), key, val))
			return true;
	return false;
}

/*
 * Open the procfs file name on first use (seps as pfile_open() takes
 * them), then read it afresh; 0 or a negative errno.
 */
static int cpu_proc_read(struct pfile **pf, const char *name, const char *seps)
{
	if (!*pf) {
		char path[PATH_MAX];
		*pf = pfile_open(proc_path(path, "%s", name), seps);
		if (!*pf)
			return -errno;
	}
	return pfile_read(*pf);
}

/*
 * Read /proc/cpuinfo and find its first non-blank line (*first); 0 or a
 * negative errno (-EINVAL for a blank file).
 */
static int cpuinfo_read(struct cpu_state *st, size_t *first)
{
	/* no word separators: every line is one word */
	int rc = cpu_proc_read(&st->cpuinfo, "cpuinfo", "");
	if (rc)
		return rc;
	st->ninfos = 0;
	size_t l = 0, nl = pfile_lines(st->cpuinfo);
	for (; l < nl; l++) {
		const char *w = pfile_word(st->cpuinfo, l, 0);
		if (w[strspn(w, " \t\r\v\f")])
			break;
	}
	if (l == nl)
		return -EINVAL;
	*first = l;
	return 0;
}

/*
 * Parse the x86 layout (procfs's parseCPUInfoX86) from line l on: the
 * first line must be "processor\t: N", then one block of "key\t: value"
 * lines per processor.
 */
static int cpuinfo_parse_x86(struct cpu_state *st, size_t l)
{
	struct pfile *pf = st->cpuinfo;
	char *line = (char *)pfile_word(pf, l, 0), *key, *val;
	unsigned proc;
	if (strncmp(line, "processor", 9) != 0 || !strchr(line, ':') ||
	    !cpuinfo_split(line, &key, &val) || !cpu_parse_uint0(val, &proc))
		return -EINVAL;
	struct cpuinfo_cpu *c = cpuinfo_new(st, proc);

	while (cpuinfo_next(pf, &l, &key, &val)) {
		switch (key[0]) {
		case 'p':
			if (strcmp(key, "processor") == 0) {
				if (!cpu_parse_uint0(val, &proc))
					return -EINVAL;
				c = cpuinfo_new(st, proc);
			} else if (strcmp(key, "physical id") == 0) {
				c->physical_id = val;
			}
			continue;
		case 'v':
			if (strcmp(key, "vendor_id") == 0 || strcmp(key, "vendor") == 0)
				c->vendor = val;
			continue;
		case 'c':
			if (strcmp(key, "cpu family") == 0) {
				c->family = val;
			} else if (strcmp(key, "core id") == 0) {
				c->core_id = val;
			} else if (strcmp(key, "cache size") == 0) {
				c->cachesize = val;
			} else if (strcmp(key, "cpu MHz") == 0) {
				if (parse_go_float(val, strlen(val), &c->mhz))
					return -EINVAL;
			} else if (!cpuinfo_check_only(key, val)) {
				return -EINVAL;
			}
			continue;
		case 'm':
			if (strcmp(key, "model") == 0)
				c->model = val;
			else if (strcmp(key, "model name") == 0)
				c->model_name = val;
			else if (strcmp(key, "microcode") == 0)
				c->microcode = val;
			continue;
		case 's':
			if (strcmp(key, "stepping") == 0)
				c->stepping = val;
			else if (!cpuinfo_check_only(key, val))
				return -EINVAL;
			continue;
		case 'f':
			if (strcmp(key, "flags") == 0)
				c->flags = val;
			continue;
		case 'b':
			if (strcmp(key, "bugs") == 0)
				c->bugs = val;
			else if (!cpuinfo_check_only(key, val))
				return -EINVAL;
			continue;
		default:
			continue;
		}
	}
	return 0;
}

/*
 * Parse the arm layout (procfs's parseCPUInfoARM) from line l on: "processor
 * : N" blocks with BogoMIPS, or on old 32-bit kernels a leading "Processor :
 * <model>" line and one block; "Features" (the last one seen) gives the
 * flags of every processor.
 */
static int cpuinfo_parse_arm(struct cpu_state *st, size_t l)
{
	struct pfile *pf = st->cpuinfo;
	char *line = (char *)pfile_word(pf, l, 0), *key, *val;
	if ((line[0] != 'p' && line[0] != 'P') || strncmp(line + 1, "rocessor", 8) != 0 ||
	    !strchr(line, ':') || !cpuinfo_split(line, &key, &val))
		return -EINVAL;
	struct cpuinfo_cpu common = cpuinfo_blank, *c = NULL;
	unsigned proc;
	const char *features = NULL;
	if (strcmp(key, "Processor") == 0) {
		common.model_name = val;
	} else {
		if (!cpu_parse_uint0(val, &proc))
			return -EINVAL;
		c = cpuinfo_new(st, proc);
	}
	while (cpuinfo_next(pf, &l, &key, &val)) {
		if (strcmp(key, "processor") == 0) {
			if (!cpu_parse_uint0(val, &proc))
				return -EINVAL;
			c = cpuinfo_new(st, proc);
			*c = common;
			c->processor = proc;
		} else if (strcmp(key, "BogoMIPS") == 0) {
			double bogomips;
			if (!c) { /* the old layout: one processor */
				c = cpuinfo_new(st, 0);
				*c = common;
			}
			if (parse_go_float(val, strlen(val), &bogomips))
				return -EINVAL;
		} else if (strcmp(key, "Features") == 0) {
			features = val;
		} else if (strcmp(key, "model name") == 0) {
			if (!c)
				return -EINVAL; /* procfs indexes cpuinfo[-1] here */
			c->model_name = val;
		}
	}
	if (st->ninfos && !features)
		return -EINVAL; /* procfs indexes the missing Features value */
	for (size_t i = 0; i < st->ninfos; i++)
		st->infos[i].flags = features;
	return 0;
}

static bool cpuinfo_arm =
#if defined(__aarch64__) || defined(__arm__)
	true;
#else
	false;
#endif

void cpu_cpuinfo_layout_arm(bool arm)
{
	cpuinfo_arm = arm;
}

/* Parse /proc/cpuinfo into st->infos with this architecture's layout; 0 or a negative errno. */
static int cpuinfo_parse(struct cpu_state *st)
{
	size_t first;
	int rc = cpuinfo_read(st, &first);
	if (rc)
		return rc;
	return cpuinfo_arm ? cpuinfo_parse_arm(st, first) : cpuinfo_parse_x86(st, first);
}

/* Export the words of list (strings.Fields) that match re as <family>{<label>=word} 1. */
static void cpu_field_info(struct expo_set *out, const char *list, const struct vregex *re,
			   const char *family, const char *help, const char *label)
{
	if (!re)
		return;
	struct expo_family *f = expo_family(out, family, help, EXPO_GAUGE);
	char word[256];
	const char *p = list;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\v' || *p == '\f')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, " \t\r\v\f");
		if (n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			if (vregex_match(re, word))
				expo_addl(f, 1, label, word, NULL);
		}
		p += n;
	}
}

static int cpu_update_info(struct cpu_state *st, struct expo_set *out)
{
	int rc = cpuinfo_parse(st);
	if (rc)
		return rc;
	struct expo_family *info = expo_family(out, "node_cpu_info",
					       "CPU information from /proc/cpuinfo.", EXPO_GAUGE);
	char num[16];
	for (size_t i = 0; i < st->ninfos; i++) {
		const struct cpuinfo_cpu *c = &st->infos[i];
		snprintf(num, sizeof(num), "%u", c->processor);
		expo_addl(info, 1, "package", c->physical_id, "core", c->core_id, "cpu", num,
			  "vendor", c->vendor, "family", c->family, "model", c->model, "model_name",
			  c->model_name, "microcode", c->microcode, "stepping", c->stepping,
			  "cachesize", c->cachesize, NULL);
	}
	if (cpufreq_collector_enabled) {
		struct expo_family *f =
			expo_family(out, "node_cpu_frequency_hertz",
				    "CPU frequency in hertz from /proc/cpuinfo.", EXPO_GAUGE);
		for (size_t i = 0; i < st->ninfos; i++) {
			const struct cpuinfo_cpu *c = &st->infos[i];
			snprintf(num, sizeof(num), "%u", c->processor);
			expo_addl(f, c->mhz * 1e6, "package", c->physical_id, "core", c->core_id,
				  "cpu", num, NULL);
		}
	}
	if (st->ninfos) {
		cpu_field_info(out, st->infos[0].flags, cpu_flags_re, "node_cpu_flag_info",
			       "The `flags` field of CPU information from /proc/cpuinfo taken from "
			       "the first core.",
			       "flag");
		cpu_field_info(out, st->infos[0].bugs, cpu_bugs_re, "node_cpu_bug_info",
			       "The `bugs` field of CPU information from /proc/cpuinfo taken from "
			       "the first core.",
			       "bug");
	}
	return 0;
}

/*
 * Apply the backwards-jump guard to this scrape's cpu lines: the result goes
 * to st->guarded, and becomes the shared table (cpus that disappeared are
 * dropped from it).
 */
static void cpu_apply_guard(struct cpu_state *st)
{
	static const char *const names[PROC_STAT_NFIELDS] = {
		"User", "Nice",	   "System", "Idle",  "Iowait",
		"IRQ",	"SoftIRQ", "Steal",  "Guest", "GuestNice",
	};
	size_t n = st->info.ncpus;
	if (n > st->capguarded) {
		st->capguarded = n;
		st->guarded = xrealloc(st->guarded, n * sizeof(*st->guarded));
	}
	pthread_mutex_lock(&cpu_guard.mu);
	for (size_t i = 0; i < n; i++) {
		const struct proc_stat_cpu *cur = &st->info.cpus[i];
		const struct proc_stat_cpu *old = NULL;
		if (i < cpu_guard.n && cpu_guard.cpus[i].id == cur->id) {
			old = &cpu_guard.cpus[i];
		} else {
			for (size_t k = 0; k < cpu_guard.n && !old; k++)
				if (cpu_guard.cpus[k].id == cur->id)
					old = &cpu_guard.cpus[k];
		}
		struct proc_stat_cpu *res = &st->guarded[i];
		res->id = cur->id;
		if (old &&
		    old->v[PROC_STAT_IDLE] - cur->v[PROC_STAT_IDLE] >= CPU_JUMP_BACK_SECONDS) {
			log_debug(
				"CPU Idle counter jumped backwards more than %f seconds, possible "
				"hotplug event, resetting CPU stats\tcpu=%lld old_value=%g "
				"new_value=%g",
				CPU_JUMP_BACK_SECONDS, (long long)cur->id, old->v[PROC_STAT_IDLE],
				cur->v[PROC_STAT_IDLE]);
			old = NULL;
		}
		for (size_t f = 0; f < PROC_STAT_NFIELDS; f++) {
			double prev = old ? old->v[f] : 0;
			if (cur->v[f] >= prev) {
				res->v[f] = cur->v[f];
			} else {
				res->v[f] = prev;
				log_debug("CPU %s counter jumped backwards\tcpu=%lld old_value=%g "
					  "new_value=%g",
					  names[f], (long long)cur->id, prev, cur->v[f]);
			}
		}
	}
	if (n > cpu_guard.cap) {
		cpu_guard.cap = n;
		cpu_guard.cpus = xrealloc(cpu_guard.cpus, n * sizeof(*cpu_guard.cpus));
	}
	if (n)
		memcpy(cpu_guard.cpus, st->guarded, n * sizeof(*st->guarded));
	cpu_guard.n = n;
	pthread_mutex_unlock(&cpu_guard.mu);
}

static int cpu_update_stat(struct cpu_state *st, struct expo_set *out)
{
	static const char *const modes[] = {"user",   "nice", "system",	 "idle",
					    "iowait", "irq",  "softirq", "steal"};
	struct pfile *pf;
	int rc = proc_stat_scrape_read(&st->stat, &pf);
	if (rc)
		return rc;
	rc = proc_stat_parse(pf, &st->info, true);
	if (rc)
		return rc;
	cpu_apply_guard(st);

	struct expo_family *secs =
		expo_family(out, "node_cpu_seconds_total", "Seconds the CPUs spent in each mode.",
			    EXPO_COUNTER);
	struct expo_family *guest =
		cpu_guest ? expo_family(out, "node_cpu_guest_seconds_total",
					"Seconds the CPUs spent in guests (VMs) for each mode.",
					EXPO_COUNTER)
			  : NULL;
	for (size_t i = 0; i < st->info.ncpus; i++) {
		const struct proc_stat_cpu *c = &st->guarded[i];
		char num[24];
		snprintf(num, sizeof(num), "%lld", (long long)c->id);
		for (size_t m = 0; m < ARRAY_SIZE(modes); m++)
			expo_addl(secs, c->v[m], "cpu", num, "mode", modes[m], NULL);
		if (guest) {
			expo_addl(guest, c->v[PROC_STAT_GUEST], "cpu", num, "mode", "user", NULL);
			expo_addl(guest, c->v[PROC_STAT_GUEST_NICE], "cpu", num, "mode", "nice",
				  NULL);
		}
	}
	return 0;
}

/* Add or find (package, core) in a throttle list; returns the entry or NULL when absent. */
static struct cpu_throttle *cpu_throttle_find(struct cpu_throttle *list, size_t n, uint64_t pkg,
					      uint64_t core)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].package == pkg && list[i].core == core)
			return &list[i];
	return NULL;
}

static void cpu_throttle_add(struct cpu_throttle **list, size_t *n, size_t *cap, uint64_t pkg,
			     uint64_t core, uint64_t count)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*list = xrealloc(*list, *cap * sizeof(**list));
	}
	(*list)[(*n)++] = (struct cpu_throttle){pkg, core, count};
}

static void cpu_update_throttle(struct cpu_state *st, struct expo_set *out)
{
	char path[PATH_MAX];
	st->npkgs = st->ncores = 0;
	for (size_t i = 0; i < st->dirs.n; i++) {
		const char *cpu = st->dirs.v[i];
		uint64_t pkg, core, count;
		if (read_u64_file(sys_path(path,
					   "devices/system/cpu/%s/topology/physical_package_id",
					   cpu),
				  &pkg)) {
			log_debug("CPU is missing physical_package_id\tcpu=%s", cpu);
			continue;
		}
		if (read_u64_file(sys_path(path, "devices/system/cpu/%s/topology/core_id", cpu),
				  &core)) {
			log_debug("CPU is missing core_id\tcpu=%s", cpu);
			continue;
		}
		bool absent = false; /* no thermal_throttle directory (no such feature, a VM) */
		if (!cpu_throttle_find(st->cores, st->ncores, pkg, core)) {
			int rc = read_u64_file(sys_path(path,
							"devices/system/cpu/%s/thermal_throttle/"
							"core_throttle_count",
							cpu),
					       &count);
			if (rc == 0)
				cpu_throttle_add(&st->cores, &st->ncores, &st->capcores, pkg, core,
						 count);
			else
				log_debug("CPU is missing core_throttle_count\tcpu=%s", cpu);
			/* both counts live in that directory: without it, no package count either */
			absent = rc == -ENOENT;
		}
		if (!absent && !cpu_throttle_find(st->pkgs, st->npkgs, pkg, 0)) {
			if (read_u64_file(sys_path(path,
						   "devices/system/cpu/%s/thermal_throttle/"
						   "package_throttle_count",
						   cpu),
					  &count) == 0)
				cpu_throttle_add(&st->pkgs, &st->npkgs, &st->cappkgs, pkg, 0,
						 count);
			else
				log_debug("CPU is missing package_throttle_count\tcpu=%s", cpu);
		}
	}
	char p[24], c[24];
	if (st->npkgs) {
		struct expo_family *f = expo_family(
			out, "node_cpu_package_throttles_total",
			"Number of times this CPU package has been throttled.", EXPO_COUNTER);
		for (size_t i = 0; i < st->npkgs; i++) {
			snprintf(p, sizeof(p), "%llu", (unsigned long long)st->pkgs[i].package);
			expo_addl(f, (double)st->pkgs[i].count, "package", p, NULL);
		}
	}
	if (st->ncores) {
		struct expo_family *f = expo_family(
			out, "node_cpu_core_throttles_total",
			"Number of times this CPU core has been throttled.", EXPO_COUNTER);
		for (size_t i = 0; i < st->ncores; i++) {
			snprintf(p, sizeof(p), "%llu", (unsigned long long)st->cores[i].package);
			snprintf(c, sizeof(c), "%llu", (unsigned long long)st->cores[i].core);
			expo_addl(f, (double)st->cores[i].count, "package", p, "core", c, NULL);
		}
	}
}

static void cpu_update_online(struct cpu_state *st, struct expo_set *out)
{
	char path[PATH_MAX], buf[SYSFS_ATTR_SIZE], *val = NULL;
	if (!st->dirs.n)
		return;
	/* no-op when the first cpu has no online file (no hotplug support) */
	if (read_attr_trimmed(AT_FDCWD,
			      sys_path(path, "devices/system/cpu/%s/online", st->dirs.v[0]), buf,
			      sizeof(buf), &val) == -ENOENT)
		return;
	struct expo_family *f = expo_family(
		out, "node_cpu_online", "CPUs that are online and being scheduled.", EXPO_GAUGE);
	for (size_t i = 0; i < st->dirs.n; i++) {
		const char *cpu = st->dirs.v[i];
		bool on = read_attr_trimmed(AT_FDCWD,
					    sys_path(path, "devices/system/cpu/%s/online", cpu),
					    buf, sizeof(buf), &val) == 0 &&
			  strcmp(val, "1") == 0;
		expo_addl(f, on ? 1 : 0, "cpu", cpu + 3, NULL);
	}
}

static int cpu_collect(void *state, struct expo_set *out)
{
	struct cpu_state *st = state;
	int rc;
	if (cpu_info && (rc = cpu_update_info(st, out)))
		return rc;
	if ((rc = cpu_update_stat(st, out)))
		return rc;
	if (cpu_have_isolated && cpu_nisolated) {
		struct expo_family *f = expo_family(out, "node_cpu_isolated",
						    "Whether each core is isolated, information "
						    "from /sys/devices/system/cpu/isolated.",
						    EXPO_GAUGE);
		for (size_t i = 0; i < cpu_nisolated; i++) {
			char num[8];
			snprintf(num, sizeof(num), "%u", (unsigned)cpu_isolated[i]);
			expo_addl(f, 1, "cpu", num, NULL);
		}
	}
	char path[PATH_MAX];
	if ((rc = cpu_dirs_list(sys_path(path, "devices/system/cpu"), &st->dirs)))
		return rc;
	cpu_update_throttle(st, out);
	cpu_update_online(st, out);
	return 0;
}

static void cpu_cleanup(void *state)
{
	struct cpu_state *st = state;
	pfile_close(st->stat);
	pfile_close(st->cpuinfo);
	proc_stat_info_free(&st->info);
	free(st->guarded);
	free(st->infos);
	dir_list_free(&st->dirs);
	free(st->pkgs);
	free(st->cores);
}

const struct collector collector_cpu = {
	.name = "cpu",
	.default_on = true,
	.state_size = sizeof(struct cpu_state),
	.flags = cpu_flags,
	.nflags = ARRAY_SIZE(cpu_flags),
	.setup = cpu_setup,
	.collect = cpu_collect,
	.cleanup = cpu_cleanup,
};
