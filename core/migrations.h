/* Private to core/: the migrations compiled in from sql/. */
#ifndef MIGRATIONS_H
#define MIGRATIONS_H

struct migration {
	unsigned int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const unsigned int migrations_count;

#endif
