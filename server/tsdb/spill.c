// SPDX-License-Identifier: Apache-2.0
/*
 * Head chunk spill files; see spill.h.
 */
#include "server/tsdb/spill.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

struct spill_file {
	int fd;          /* -1 once deleted */
	uint64_t live;   /* chunks not yet released */
	uint64_t size;
};

struct spill {
	pthread_mutex_t mu;
	char dir[4096];
	struct spill_file *files;
	uint32_t nfiles, cap;
	uint32_t cur;
	uint64_t bytes;
};

static void file_path(const struct spill *s, uint32_t id, char *out, size_t n)
{
	snprintf(out, n, "%s/%06u", s->dir, id);
}

static int new_file(struct spill *s)
{
	char path[4200];
	if (s->nfiles == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		struct spill_file *f = realloc(s->files, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		s->files = f;
		s->cap = cap;
	}
	uint32_t id = s->nfiles;
	file_path(s, id, path, sizeof(path));
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_err(-errno, "tsdb: create spill file %s", path);
	s->files[id] = (struct spill_file){ fd, 0, 0 };
	s->nfiles++;
	s->cur = id;
	return 0;
}

static void clear_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

int spill_open(const char *dir, struct spill **out)
{
	struct spill *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if (mkdir(dir, 0777) && errno != EEXIST) {
		int rc = log_err(-errno, "tsdb: mkdir %s", dir);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return rc;
	}
	clear_dir(dir);
	int rc = new_file(s);
	if (rc) {
		pthread_mutex_destroy(&s->mu);
		free(s->files);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void spill_close(struct spill *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->nfiles; i++)
		if (s->files[i].fd >= 0)
			close(s->files[i].fd);
	clear_dir(s->dir);
	rmdir(s->dir);
	free(s->files);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int spill_write(struct spill *s, const uint8_t *b, uint32_t len, uint32_t *file, uint64_t *off)
{
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	struct spill_file *f = &s->files[s->cur];
	if (f->size + len > SPILL_FILE_SIZE && f->size > 0) {
		uint32_t old = s->cur;
		if ((rc = new_file(s)))
			goto out;
		/* the old file may already be empty of live chunks */
		if (s->files[old].live == 0) {
			char path[4200];
			file_path(s, old, path, sizeof(path));
			close(s->files[old].fd);
			s->files[old].fd = -1;
			s->bytes -= s->files[old].size;
			unlink(path);
		}
		f = &s->files[s->cur];
	}
	ssize_t n = pwrite(f->fd, b, len, (off_t)f->size);
	if (n != (ssize_t)len) {
		rc = n < 0 ? -errno : -EIO;
		goto out;
	}
	*file = s->cur;
	*off = f->size;
	f->size += len;
	f->live++;
	s->bytes += len;
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int spill_read(struct spill *s, uint32_t file, uint64_t off, uint8_t *out, uint32_t len)
{
	pthread_mutex_lock(&s->mu);
	int fd = file < s->nfiles ? s->files[file].fd : -1;
	pthread_mutex_unlock(&s->mu);
	if (fd < 0)
		return -EBADF;
	ssize_t n = pread(fd, out, len, (off_t)off);
	if (n != (ssize_t)len)
		return n < 0 ? -errno : -EIO;
	return 0;
}

void spill_release(struct spill *s, uint32_t file)
{
	pthread_mutex_lock(&s->mu);
	if (file < s->nfiles && s->files[file].live > 0 && --s->files[file].live == 0 &&
	    file != s->cur) {
		char path[4200];
		file_path(s, file, path, sizeof(path));
		close(s->files[file].fd);
		s->files[file].fd = -1;
		s->bytes -= s->files[file].size;
		unlink(path);
	}
	pthread_mutex_unlock(&s->mu);
}

uint64_t spill_bytes(struct spill *s)
{
	pthread_mutex_lock(&s->mu);
	uint64_t b = s->bytes;
	pthread_mutex_unlock(&s->mu);
	return b;
}
