/* The ncurses console (tui/console.c): what couponadm runs without a command. */
#ifndef CONSOLE_H
#define CONSOLE_H

struct cli;

/* Runs the console until the user quits; returns the exit status. */
int console_run(struct cli *);

#endif
