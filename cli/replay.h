/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * replay.h - `mmtorture replay`: one run of a result again, step for step.
 */
#ifndef MT_CLI_REPLAY_H
#define MT_CLI_REPLAY_H

/* argv[0] is "replay".  Return: the exit code. */
int mt_cli_replay(int argc, char **argv);

#endif /* MT_CLI_REPLAY_H */
