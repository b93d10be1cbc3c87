/* A report as one self-contained HTML page with SVG charts (no curses). */
#ifndef REPORT_HTML_H
#define REPORT_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "coupon.h"

/* Writes R to F; false if writing failed. */
bool report_html(FILE *f, const struct cp_report *r);

#endif
