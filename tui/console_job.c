/*
 * Worker threads for the console's long work: one MYSQL per thread, opened and
 * closed in the thread (mysql_thread_init/end through the connection calls).
 * Signals stay with the UI thread, which restores the terminal.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <mysql.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_job.h"
#include "xmalloc.h"

struct ui_job {
	pthread_t thread;
	pthread_mutex_t mu;
	const struct cp_config *cfg;
	char label[1024];
	job_fn fn;
	void *arg;
	void (*free_arg)(void *);
	uint64_t started_ms;
	/* Under mu. */
	uint64_t done, total, first_done, id;
	bool have_first, cancel, finished;
	enum cp_status status;
	struct cp_err err;
	char result[512];
	uint64_t finished_ms;
	char watch[PATH_MAX];
	uint64_t watch_total;
};

static void *job_main(void *p)
{
	struct ui_job *j = p;
	struct cp_db *db = NULL;
	struct cp_err e;
	enum cp_status st;

	mysql_thread_init();
	cp_err_clear(&e);
	st = cp_db_open(&db, j->cfg, "couponadm-console-job", &e);
	if (st == CP_OK)
		st = j->fn(j, db, j->arg, &e);
	cp_db_close(db);
	pthread_mutex_lock(&j->mu);
	j->status = st;
	j->err = e;
	j->finished = true;
	j->finished_ms = ui_now_ms();
	pthread_mutex_unlock(&j->mu);
	mysql_thread_end();
	return NULL;
}

struct ui_job *job_start(struct ui *ui, const char *label, job_fn fn, void *arg,
			 void (*free_arg)(void *), struct cp_err *e)
{
	struct ui_job *j;
	sigset_t all, old;
	int rc;

	job_reap(ui);
	if (ui->job != NULL) {
		cp_err_set(e, CP_E_CONFLICT, "%s is still running", ui->job->label);
		if (free_arg != NULL)
			free_arg(arg);
		return NULL;
	}
	j = xcalloc(1, sizeof *j);
	pthread_mutex_init(&j->mu, NULL);
	j->cfg = &ui->cli->cfg;
	ui_copy(j->label, sizeof j->label, label);
	j->fn = fn;
	j->arg = arg;
	j->free_arg = free_arg;
	j->started_ms = ui_now_ms();
	/* The worker inherits a blocked mask: signals go to the UI thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&j->thread, NULL, job_main, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		cp_err_set(e, CP_E_INTERNAL, "cannot start a thread: %s", strerror(rc));
		if (free_arg != NULL)
			free_arg(arg);
		pthread_mutex_destroy(&j->mu);
		free(j);
		return NULL;
	}
	ui->job = j;
	return j;
}

bool job_active(const struct ui_job *j)
{
	bool active;

	if (j == NULL)
		return false;
	pthread_mutex_lock((pthread_mutex_t *)&j->mu);
	active = !j->finished;
	pthread_mutex_unlock((pthread_mutex_t *)&j->mu);
	return active;
}

const char *job_label(const struct ui_job *j)
{
	return j != NULL ? j->label : "";
}

void job_resume_hint(const struct ui_job *j, char *buf, size_t size)
{
	uint64_t id;

	pthread_mutex_lock((pthread_mutex_t *)&j->mu);
	id = j->id;
	pthread_mutex_unlock((pthread_mutex_t *)&j->mu);
	if (id != 0)
		snprintf(buf, size,
			 "It stops at the next chunk and stays resumable: "
			 "couponadm generate --resume %llu", (unsigned long long)id);
	else
		snprintf(buf, size, "It stops at the next chunk.");
}

void job_cancel(struct ui_job *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	j->cancel = true;
	pthread_mutex_unlock(&j->mu);
}

/* Lines in a file being written: its size over the mean length of its first lines. */
static uint64_t estimate_lines(const char *path)
{
	char buf[4096];
	struct stat sb;
	ssize_t n;
	uint64_t lines = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = fstat(fd, &sb) == 0 ? read(fd, buf, sizeof buf) : -1;
	close(fd);
	for (ssize_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	if (n <= 0 || lines == 0)
		return 0;
	return (uint64_t)sb.st_size * lines / (uint64_t)n;
}

void job_watch_file(struct ui_job *j, const char *path, uint64_t expected)
{
	pthread_mutex_lock(&j->mu);
	ui_copy(j->watch, sizeof j->watch, path);
	j->watch_total = expected;
	pthread_mutex_unlock(&j->mu);
}

void job_snapshot(struct ui_job *j, struct job_view *v)
{
	uint64_t now = ui_now_ms(), end;
	double secs;

	memset(v, 0, sizeof *v);
	pthread_mutex_lock(&j->mu);
	if (j->watch[0] != '\0' && !j->finished) {
		uint64_t lines = estimate_lines(j->watch);

		j->total = j->watch_total;
		j->done = lines < j->total ? lines : j->total;
		j->have_first = true;
	}
	v->done = j->done;
	v->total = j->total;
	v->finished = j->finished;
	v->cancelling = j->cancel && !j->finished;
	v->status = j->status;
	v->err = j->err;
	v->id = j->id;
	memcpy(v->result, j->result, sizeof v->result);
	end = j->finished ? j->finished_ms : now;
	secs = (double)(end - j->started_ms) / 1000.0;
	v->elapsed = secs;
	/* The rate counts what this run did, not what a resumed batch had already. */
	v->rate = secs > 0.2 && j->have_first ? (double)(j->done - j->first_done) / secs : 0;
	v->eta = v->rate > 0 && j->total >= j->done ? (double)(j->total - j->done) / v->rate
						    : -1;
	pthread_mutex_unlock(&j->mu);
}

static void job_free(struct ui_job *j)
{
	pthread_join(j->thread, NULL);
	if (j->free_arg != NULL)
		j->free_arg(j->arg);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

void job_reap(struct ui *ui)
{
	if (ui->job == NULL || job_active(ui->job))
		return;
	job_free(ui->job);
	ui->job = NULL;
}

void job_shutdown(struct ui *ui)
{
	if (ui->job == NULL)
		return;
	job_cancel(ui->job);
	job_free(ui->job);
	ui->job = NULL;
}

bool job_progress(struct ui_job *j, uint64_t done, uint64_t total)
{
	bool go;

	pthread_mutex_lock(&j->mu);
	if (!j->have_first) {
		j->have_first = true;
		j->first_done = done;
	}
	j->done = done;
	j->total = total;
	go = !j->cancel;
	pthread_mutex_unlock(&j->mu);
	return go;
}

void job_set_id(struct ui_job *j, uint64_t id)
{
	pthread_mutex_lock(&j->mu);
	j->id = id;
	pthread_mutex_unlock(&j->mu);
}

void job_set_result(struct ui_job *j, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&j->mu);
	va_start(ap, fmt);
	vsnprintf(j->result, sizeof j->result, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&j->mu);
}
