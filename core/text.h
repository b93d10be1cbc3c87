/*
 * Text rules shared by libcoupon and the programs: what well-formed UTF-8 is,
 * what a control character is, hex digits, and the one JSON string writer.
 * Nothing here allocates, prints or fails: every function is total.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bytes of the well-formed UTF-8 sequence at S (1..4, at most LEN) and its code
 * point in *CP; 0 for an ill-formed one: a stray or cut-short byte, an overlong
 * form, a surrogate, or a code point past U+10FFFF.
 */
size_t text_utf8_seq(const unsigned char *s, size_t len, uint32_t *cp);

/* C0 controls, DEL and the C1 controls: U+0000..U+001F and U+007F..U+009F. */
bool text_is_control(uint32_t cp);

/* Flags of text_scan(). */
#define TEXT_SPACE 0x1u /* tab, line feed and carriage return are not faults */

enum text_fault {
	TEXT_OK,
	TEXT_BAD_UTF8, /* not well-formed UTF-8 */
	TEXT_CONTROL,  /* a control character (text_is_control) */
};

/*
 * Checks S[0..len): well-formed UTF-8 holding no control character. On a fault,
 * *AT (if not NULL) is the offset of its first byte; *CHARS (if not NULL) counts
 * the characters before it, or all of them.
 */
enum text_fault text_scan(const char *s, size_t len, unsigned int flags, size_t *at,
			  size_t *chars);
/* text_scan() without the details. */
bool text_ok(const char *s, size_t len, unsigned int flags);

/* The longest prefix of S[0..len) of at most MAX bytes that ends between characters. */
size_t text_utf8_cut(const char *s, size_t len, size_t max);

/* The value of hex digit C (either case), or -1. */
int text_hexval(int c);
/* BYTES[0..n) as 2n lowercase hex digits and a NUL in OUT (2n + 1 bytes). */
void text_hex(char *out, const void *bytes, size_t n);

/*
 * S[0..len) as a JSON string literal, quotes included, in OUT (SIZE bytes) with a
 * NUL. Returns the literal's full length, as snprintf() does: SIZE > that length
 * means it is all there.
 *
 * '"' and '\\' get a backslash; control characters (text_is_control: C0, DEL and
 * C1) become \u00XX. RFC 8259 asks only for C0, but DEL and C1 reach a terminal
 * as commands (0x9B is CSI), and this output is read in terminals and logs too.
 * Each byte that does not start a well-formed sequence becomes U+FFFD, so the
 * literal is always valid UTF-8 whatever S holds. Everything else is copied.
 *
 * When it does not fit, the literal is cut after the last whole character or
 * escape that leaves room for the closing quote: OUT is still one complete
 * literal whenever SIZE >= 3, and is "" (an empty C string) when SIZE is 1 or 2.
 */
size_t text_json_str(char *out, size_t size, const char *s, size_t len);

/* The longest CSV field text_csv() or text_csv_field() writes for a value of N bytes. */
#define TEXT_CSV_MAX(n) (2 * (n) + 4)

/*
 * S (NUL-terminated) as one RFC 4180 CSV field in OUT, which has room for
 * TEXT_CSV_MAX(strlen(S)) bytes and gets a NUL; returns the field's length.
 * Quoted when it holds a separator, a quote or a line break, each quote doubled.
 * For values that must come back byte for byte: codes.
 */
size_t text_csv(char *out, const char *s);
/*
 * The same for text a person or a customer chose (user and order ids): a value
 * that a spreadsheet would run as a formula (it starts with '=', '+', '-', '@', a
 * tab or a carriage return) is written with a leading apostrophe, inside quotes:
 * exports and searches are opened in spreadsheets by finance and support.
 */
size_t text_csv_field(char *out, const char *s);

#endif
