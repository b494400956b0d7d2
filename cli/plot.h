/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * plot.h - `mmtorture plot RESULTS_DIR`: a run's timeline.csv drawn by
 * gnuplot, to PNG or SVG.
 */
#ifndef MT_CLI_PLOT_H
#define MT_CLI_PLOT_H

/* Return: 0 drawn; 1 usage, or no timeline there; 3 gnuplot missing or failed. */
int mt_plot_main(int argc, char **argv);

#endif /* MT_CLI_PLOT_H */
