/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * values.h - values as job files and config files write them: times with
 * suffixes, booleans, numbers, integer expressions in checked arithmetic,
 * and the UTF-8 rules every text of mmtorture follows.
 *
 * Each parser takes the whole string (trailing blanks allowed) and returns
 * 0, or a negative errno: -EINVAL when it is not such a value, -ERANGE
 * when it is one but does not fit.
 *
 * Context: every function here is pure, and may be called from any thread.
 */
#ifndef MT_VALUES_H
#define MT_VALUES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* "30s", "5m", "1.5h", "2d", "100ms", "250us", "10ns"; a bare number is seconds. */
int mt_parse_time_ns(const char *s, uint64_t *ns);
/* 1/0, yes/no, true/false, on/off */
int mt_parse_bool(const char *s, bool *b);
int mt_parse_double(const char *s, double *d);
/* An unsigned 64-bit integer: decimal, 0x hex or 0 octal. */
int mt_parse_u64(const char *s, uint64_t *v);
/*
 * mt_parse_int_expr - an integer expression: + - * / and parentheses
 * (nested at most 64 deep) over decimal numbers, every step in signed
 * 64-bit arithmetic and checked.
 * Return: 0 with a non-negative result in @v; -EINVAL (not an expression,
 * a division by zero, a negative result); -ERANGE (a step overflows).
 */
int mt_parse_int_expr(const char *s, uint64_t *v);

/* The shortest exact form of @ns: 30s, 5m, 1500ms. */
void mt_format_time(uint64_t ns, char *buf, size_t len);

/*
 * mt_utf8_seq - the length of the valid UTF-8 sequence at @s, of at most
 * @n bytes (no overlong form, no surrogate, nothing beyond U+10FFFF).
 * Return: 1..4, or 0 if @s does not start with one.
 */
size_t mt_utf8_seq(const unsigned char *s, size_t n);
/* The length of the longest prefix of @s made of whole, valid sequences. */
size_t mt_utf8_valid_prefix(const char *s, size_t len);
/* Replace every byte of @s that is not part of a valid sequence by '?'. */
void mt_utf8_scrub(char *s);
/*
 * mt_strcpy_text - copy @src into @dst of @size bytes for names in
 * messages, logs and JSON: cut on a whole character, control characters
 * and invalid bytes replaced by '?'.
 */
void mt_strcpy_text(char *dst, size_t size, const char *src);

#endif /* MT_VALUES_H */
