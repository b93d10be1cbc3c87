/* Private to core: the lookup every name table of core/field.c's kind shares. */
#ifndef FIELD_H
#define FIELD_H

#include <stddef.h>

/* The index of S in NAMES[0..N) (any case; NULL entries skipped), -1 if absent. */
int field_name_index(const char *const *names, size_t n, const char *s);

#endif
