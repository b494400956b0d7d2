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
/*
 * mt_utf8_valid_prefix - the length of the longest prefix of @s made of
 * whole, valid UTF-8 sequences (as mt_utf8_seq() judges them): @len if
 * all of it is valid.
 */
size_t mt_utf8_valid_prefix(const char *s, size_t len);
/*
 * mt_ini_feed - for a libinih reader of our own: copy the next piece of
 * @line (@len bytes, read whole) that fits libinih's buffer @str of @num
 * bytes, from *@off on, and advance *@off.  A line longer than the buffer
 * goes in several pieces (libinih grows its buffer to take them).
 * Return: @str.
 */
char *mt_ini_feed(char *str, int num, const char *line, size_t len, size_t *off);
/* The shortest exact form: 30s, 5m, 1500ms. */
void mt_format_time(uint64_t ns, char *buf, size_t len);

#endif /* MT_OPTIONS_H */
