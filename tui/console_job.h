/*
 * Long work of the console (generation, export) in a worker thread with its own
 * database connection. The UI loop polls a mutex-protected snapshot; cancel is
 * seen by the work through job_progress() returning false, which core's progress
 * callbacks pass on, so the batch is left cancelled and resumable.
 */
#ifndef CONSOLE_JOB_H
#define CONSOLE_JOB_H

#include "ui.h"

/* The work: runs in the worker thread; DB is the thread's own connection. */
typedef enum cp_status (*job_fn)(struct ui_job *, struct cp_db *db, void *arg,
				 struct cp_err *);

struct job_view {
	uint64_t done, total;
	double rate;    /* units a second since the job started */
	double eta;     /* seconds, < 0 when unknown */
	double elapsed; /* seconds */
	bool finished, cancelling;
	enum cp_status status; /* when finished */
	struct cp_err err;
	uint64_t id;           /* batch id, once known */
	char result[512];      /* what to show when done (checksum, file) */
};

/* Starts FN(ARG) in a thread; FREE_ARG (may be NULL) frees ARG when the job goes. */
struct ui_job *job_start(struct ui *, const char *label, job_fn fn, void *arg,
			 void (*free_arg)(void *), struct cp_err *);
bool job_active(const struct ui_job *);
const char *job_label(const struct ui_job *);
void job_resume_hint(const struct ui_job *, char *buf, size_t size);
void job_cancel(struct ui_job *);
void job_snapshot(struct ui_job *, struct job_view *);
/* Frees a finished job (the UI's one slot becomes free). */
void job_reap(struct ui *);
/* Cancels a running job and waits for it: the console is closing. */
void job_shutdown(struct ui *);

/* For the work, in the worker thread. */
bool job_progress(struct ui_job *, uint64_t done, uint64_t total);
void job_set_id(struct ui_job *, uint64_t id);
/*
 * For work that reports no progress itself (core's export): estimate it from the
 * size of the file being written, PATH, against EXPECTED lines.
 */
void job_watch_file(struct ui_job *, const char *path, uint64_t expected);
void job_set_result(struct ui_job *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
