/* Allocation wrappers: running out of memory is fatal for the programs. */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/* Wipes then frees a secret string; NULL is fine. */
void xfree_secret(char *);
/* Wipes memory in a way the compiler may not drop. */
void wipe(void *, size_t);

#endif
