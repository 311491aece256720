/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shortest round-trip decimal digits of a double, as Go's
 * strconv.FormatFloat(v, fmt, -1, 64) picks them: the fewest significant
 * digits that read back to the same double and, among equally short ones,
 * the one closest to the exact binary value (ties to an even last digit).
 * The exposition writer (common/expo.c) formats its sample values from
 * these digits.
 */
#ifndef VIGIL_COMMON_DTOA_H
#define VIGIL_COMMON_DTOA_H

/*
 * Shortest digits of a finite v > 0.  Writes them to digits (ASCII, no NUL,
 * no leading or trailing zeros) and returns their count (1..17); *point is
 * the position of the decimal point relative to the first digit, so
 * v reads back from 0.d1d2...dn * 10^point.  Thread-safe; the first call
 * builds a table of powers of ten (about 10 KiB).
 */
int dtoa_shortest(double v, char digits[17], int *point);

#endif
