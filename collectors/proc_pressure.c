// SPDX-License-Identifier: Apache-2.0
/*
 * pressure: node_pressure_* counters from the pressure stall information
 * files /proc/pressure/{cpu,io,memory,irq}, each holding up to two lines
 *
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=14036781
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *
 * where total is in microseconds.  As node_exporter (HEAD): cpu gives
 * waiting (some), io and memory give waiting (some) and stalled (full), irq
 * (Linux >= 6.1) only stalled (full).  A missing resource file is skipped
 * with a debug log; PSI disabled (psi=0: EOPNOTSUPP), no resource at all,
 * or a file without its some/full line is "no data": the collector reports
 * failure without an error.  Lines with another prefix are ignored; a
 * malformed some/full line fails the collector.
 * Format: https://www.kernel.org/doc/html/latest/accounting/psi.html
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

enum { PSI_CPU, PSI_IO, PSI_MEMORY, PSI_IRQ, PSI_NRES };

static const char *const psi_res_name[PSI_NRES] = {"cpu", "io", "memory", "irq"};

struct psi_desc {
	const char *name, *help;
};

static const struct psi_desc psi_some[PSI_NRES] = {
	{"node_pressure_cpu_waiting_seconds_total",
	 "Total time in seconds that processes have waited for CPU time"},
	{"node_pressure_io_waiting_seconds_total",
	 "Total time in seconds that processes have waited due to IO congestion"},
	{"node_pressure_memory_waiting_seconds_total",
	 "Total time in seconds that processes have waited for memory"},
	{NULL, NULL},
};

static const struct psi_desc psi_full[PSI_NRES] = {
	{NULL, NULL},
	{"node_pressure_io_stalled_seconds_total",
	 "Total time in seconds no process could make progress due to IO congestion"},
	{"node_pressure_memory_stalled_seconds_total",
	 "Total time in seconds no process could make progress due to memory congestion"},
	{"node_pressure_irq_stalled_seconds_total",
	 "Total time in seconds no process could make progress due to IRQ congestion"},
};

struct pressure_state {
	struct pfile *pf[PSI_NRES];
};

/* One "avg10=.. avg60=.. avg300=.. total=N" tail; 0 and *total, or -EINVAL. */
static int psi_parse_line(const struct pfile *pf, size_t l, uint64_t *total)
{
	static const char *const keys[] = {"avg10=", "avg60=", "avg300=", "total="};
	if (pfile_words(pf, l) < 5)
		return -EINVAL;
	for (size_t k = 0; k < 4; k++) {
		const char *w = pfile_word(pf, l, k + 1), *end;
		size_t kl = strlen(keys[k]);
		if (strncmp(w, keys[k], kl) != 0)
			return -EINVAL;
		if (k < 3)
			(void)str2d(w + kl, &end);
		else
			*total = str2u64(w + kl, &end);
		if (end == w + kl || *end)
			return -EINVAL;
	}
	return 0;
}

/*
 * Read one resource file: 0 with the totals found (*has_some, *has_full),
 * -ENOENT when it does not exist, -ENODATA when PSI is disabled, or
 * another negative errno.
 */
static int psi_read(struct pressure_state *st, int res, uint64_t *some, bool *has_some,
		    uint64_t *full, bool *has_full)
{
	*has_some = *has_full = false;
	if (!st->pf[res]) {
		char path[PATH_MAX];
		st->pf[res] = pfile_open(proc_path(path, "pressure/%s", psi_res_name[res]), NULL);
		if (!st->pf[res])
			return errno == EOPNOTSUPP ? -ENODATA : -errno;
	}
	struct pfile *pf = st->pf[res];
	int rc = pfile_read(pf);
	if (rc == -EOPNOTSUPP)
		return -ENODATA;
	if (rc)
		return rc;
	for (size_t l = 0; l < pfile_lines(pf); l++) {
		const char *kind = pfile_word(pf, l, 0);
		bool is_some = strcmp(kind, "some") == 0;
		if (!is_some && strcmp(kind, "full") != 0)
			continue;
		uint64_t *dst = is_some ? some : full;
		if (psi_parse_line(pf, l, dst) < 0)
			return log_err(-EINVAL, "pressure: malformed line %zu in %s", l + 1,
				       pfile_path(pf));
		*(is_some ? has_some : has_full) = true;
	}
	return 0;
}

static void psi_emit(struct expo_set *out, const struct psi_desc *d, uint64_t total)
{
	expo_add(expo_family(out, d->name, d->help, EXPO_COUNTER), NULL, 0,
		 (double)total / 1000.0 / 1000.0);
}

static int pressure_collect(void *state, struct expo_set *out)
{
	struct pressure_state *st = state;
	int found = 0;
	for (int res = 0; res < PSI_NRES; res++) {
		uint64_t some = 0, full = 0;
		bool has_some, has_full;
		int rc = psi_read(st, res, &some, &has_some, &full, &has_full);
		if (rc == -ENOENT) {
			log_debug("pressure information is unavailable, you need a Linux kernel "
				  ">= 4.20 (6.1 for irq) and/or CONFIG_PSI enabled for your kernel"
				  "\tresource=%s",
				  psi_res_name[res]);
			continue;
		}
		if (rc == -ENODATA) {
			log_debug("pressure information is disabled, add psi=1 kernel command "
				  "line to enable it");
			return rc;
		}
		if (rc < 0)
			return rc;
		if ((!has_some && res != PSI_IRQ) || (!has_full && res != PSI_CPU)) {
			log_debug("pressure information returned no 'some' or 'full' data"
				  "\tresource=%s",
				  psi_res_name[res]);
			return -ENODATA;
		}
		if (psi_some[res].name)
			psi_emit(out, &psi_some[res], some);
		if (psi_full[res].name)
			psi_emit(out, &psi_full[res], full);
		found++;
	}
	if (!found) {
		log_debug("pressure information is unavailable, you need a Linux kernel >= 4.20 "
			  "and/or CONFIG_PSI enabled for your kernel");
		return -ENODATA;
	}
	return 0;
}

static void pressure_cleanup(void *state)
{
	struct pressure_state *st = state;
	for (int res = 0; res < PSI_NRES; res++)
		pfile_close(st->pf[res]);
}

const struct collector collector_pressure = {
	.name = "pressure",
	.default_on = true,
	.state_size = sizeof(struct pressure_state),
	.collect = pressure_collect,
	.cleanup = pressure_cleanup,
};
