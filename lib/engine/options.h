/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * options.h - parsing values the way job files write them.
 * Each returns 0, or -1 when the whole string is not a valid value.
 */
#ifndef MT_OPTIONS_H
#define MT_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* "30s", "5m", "1.5h", "2d", "100ms", "250us", "10ns"; a bare number is seconds. */
int mt_parse_time_ns(const char *s, uint64_t *ns);
int mt_parse_bool(const char *s, bool *b);
int mt_parse_double(const char *s, double *d);
int mt_parse_u64(const char *s, uint64_t *v);
/*
 * mt_utf8_seq - the length of the valid UTF-8 sequence at @s, of at most
 * @n bytes (no overlong form, no surrogate, nothing beyond U+10FFFF).
 * Return: 1..4, or 0 if @s does not start with one.
 */
size_t mt_utf8_seq(const unsigned char *s, size_t n);
/* The shortest exact form: 30s, 5m, 1500ms. */
void mt_format_time(uint64_t ns, char *buf, size_t len);

#endif /* MT_OPTIONS_H */
