// SPDX-License-Identifier: Apache-2.0
/*
 * /api/v1/containers: the stored history of every container as JSON,
 *
 *   {"status":"success","data":[
 *     {"id":"/docker/<64 hex>","name":"web","image":"nginx:1.25",
 *      "labels":{"app":"web"},"start_time":1795253756,
 *      "samples":[{"timestamp":1795253760123,"cpu_usage_seconds_total":1.5,...},...]},
 *     ...]}
 *
 * containers sorted by id, samples oldest first, one per housekeeping round
 * for the last --container.storage-duration.  Label keys are the Docker
 * keys as sanitized for the exposition, without the container_label_
 * prefix.  Numbers are written as Go's strconv.FormatFloat(v, 'f', -1, 64).
 */
#include <string.h>

#include "agent/container_store.h"

static void json_string(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)*p);
		} else if (*p < 0x20) {
			buf_printf(b, "\\u%04x", *p);
		} else {
			buf_putc(b, (char)*p);
		}
	}
	buf_putc(b, '"');
}

static void json_number(struct buf *b, const char *key, double v)
{
	char num[EXPO_DOUBLE_MAX];
	size_t n = expo_format_double(num, v, 'f');
	buf_printf(b, ",\"%s\":", key);
	if (strcmp(num, "NaN") == 0 || strcmp(num, "+Inf") == 0 || strcmp(num, "-Inf") == 0)
		buf_puts(b, "null");
	else
		buf_append(b, num, n);
}

static void sample_json(struct buf *b, const struct ctr_sample *s)
{
	buf_printf(b, "{\"timestamp\":%lld", (long long)s->ts_ms);
	json_number(b, "cpu_usage_seconds_total", s->cpu_usage);
	json_number(b, "cpu_user_seconds_total", s->cpu_user);
	json_number(b, "cpu_system_seconds_total", s->cpu_system);
	json_number(b, "cpu_cfs_periods_total", s->cfs_periods);
	json_number(b, "cpu_cfs_throttled_periods_total", s->cfs_throttled_periods);
	json_number(b, "cpu_cfs_throttled_seconds_total", s->cfs_throttled_seconds);
	json_number(b, "memory_usage_bytes", s->mem_usage);
	json_number(b, "memory_working_set_bytes", s->mem_working_set);
	json_number(b, "memory_rss", s->mem_rss);
	json_number(b, "memory_cache", s->mem_cache);
	json_number(b, "memory_swap", s->mem_swap);
	json_number(b, "processes", s->processes);
	json_number(b, "threads", s->threads);
	json_number(b, "network_receive_bytes_total", s->net_rx_bytes);
	json_number(b, "network_transmit_bytes_total", s->net_tx_bytes);
	json_number(b, "fs_reads_bytes_total", s->fs_read_bytes);
	json_number(b, "fs_writes_bytes_total", s->fs_write_bytes);
	buf_putc(b, '}');
}

void ctr_engine_history_json(struct ctr_engine *e, struct buf *out)
{
	pthread_mutex_lock(&e->store_lock);
	buf_puts(out, "{\"status\":\"success\",\"data\":[");
	for (size_t i = 0; i < e->nctrs; i++) {
		const struct ctr *c = e->ctrs[i];
		if (i)
			buf_putc(out, ',');
		buf_puts(out, "{\"id\":");
		json_string(out, c->cgroup);
		buf_puts(out, ",\"name\":");
		json_string(out, c->name);
		buf_puts(out, ",\"image\":");
		json_string(out, c->image);
		buf_puts(out, ",\"labels\":{");
		for (size_t j = 0; j < c->nlabels; j++) {
			if (j)
				buf_putc(out, ',');
			json_string(out, c->labels[2 * j] + strlen("container_label_"));
			buf_putc(out, ':');
			json_string(out, c->labels[2 * j + 1]);
		}
		buf_putc(out, '}');
		json_number(out, "start_time", c->start_time);
		buf_puts(out, ",\"samples\":[");
		size_t first = (c->ring_head + c->ring_cap - c->ring_len) % c->ring_cap;
		for (size_t k = 0; k < c->ring_len; k++) {
			if (k)
				buf_putc(out, ',');
			sample_json(out, &c->ring[(first + k) % c->ring_cap]);
		}
		buf_puts(out, "]}");
	}
	buf_puts(out, "]}\n");
	pthread_mutex_unlock(&e->store_lock);
}
