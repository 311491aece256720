/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The process_* metrics client_golang's process collector exports, for
 * this process, read from the real /proc/self (never a --path.procfs tree):
 * cpu seconds, resident and virtual memory, open and max fds, start time.
 */
#ifndef VIGIL_COMMON_PROCSELF_H
#define VIGIL_COMMON_PROCSELF_H

#include "common/expo.h"

/* Add the process_* families to out; 0 or a negative errno. */
int procself_collect(struct expo_set *out);

#endif
