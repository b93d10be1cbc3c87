#include "config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "api_internal.h"
#include "health.h"
#include "log.h"

static pthread_t tid;
static int health_fd = -1;
static volatile int health_stopping;

/* 200 while the database is up, 503 during an outage; the process answers either way. */
static void answer(FCGX_Request *rq)
{
	struct metrics_db d;
	char body[160];
	int n;

	api_db_state(&d);
	n = snprintf(body, sizeof body, "{\"status\":\"%s\",\"database\":\"%s\",\"version\":\"%s\"}\n",
		     d.up ? "ok" : "degraded", d.up ? "ok" : "down", cp_version());
	FCGX_FPrintF(rq->out, "Status: %s\r\nContent-Type: application/json\r\n"
			      "Cache-Control: no-store\r\nContent-Length: %d\r\n\r\n",
		     d.up ? "200 OK" : "503 Service Unavailable", n);
	FCGX_PutStr(body, n, rq->out);
}

static void *health_main(void *arg)
{
	FCGX_Request rq;

	(void)arg;
	FCGX_InitRequest(&rq, health_fd, 0);
	while (!health_stopping) {
		if (FCGX_Accept_r(&rq) < 0) {
			if (health_stopping)
				break;
			usleep(100000);
			continue;
		}
		answer(&rq);
		FCGX_Finish_r(&rq);
	}
	FCGX_Free(&rq, 1);
	return NULL;
}

bool health_start(const struct cp_config *cfg)
{
	const char *addr = cfg->health_listen;
	struct stat sb;

	if (addr == NULL || *addr == '\0')
		return true;
	if (strchr(addr, ':') == NULL && lstat(addr, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(addr);
	if ((health_fd = FCGX_OpenSocket(addr, 64)) < 0) {
		log_error("cannot listen on %s (health-listen): %s", addr, strerror(errno));
		return false;
	}
	if (strchr(addr, ':') == NULL && chmod(addr, 0660) != 0)
		log_warn("chmod %s: %s", addr, strerror(errno));
	if (pthread_create(&tid, NULL, health_main, NULL) != 0) {
		log_error("cannot start the health thread");
		return false;
	}
	log_info("liveness on %s", addr);
	return true;
}

void health_stop(void)
{
	if (health_fd < 0)
		return;
	health_stopping = 1;
	shutdown(health_fd, SHUT_RDWR);
	pthread_join(tid, NULL);
	close(health_fd);
	health_fd = -1;
}
