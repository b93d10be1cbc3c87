/* Private to libcoupon: code-format helpers shared with the generator. */
#ifndef FORMAT_INTERNAL_H
#define FORMAT_INTERNAL_H

#include "coupon.h"

/* Value 0..radix-1 of symbol C in FMT's alphabet, -1 if C is not in it. */
int cp_format_symbol_value(const struct cp_format *, char c);
/* Number of symbols of FMT's alphabet (its radix). */
unsigned int cp_format_radix(const struct cp_format *);
/* How many distinct bodies FMT has: radix^body_len, saturating at UINT64_MAX. */
uint64_t cp_format_capacity(const struct cp_format *);

#endif
