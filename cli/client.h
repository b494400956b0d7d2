/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * client.h - the `mmtorture` commands that talk to mmtortured.
 */
#ifndef MT_CLIENT_H
#define MT_CLIENT_H

#include <stdbool.h>

#include "lib/proto/proto.h"

bool mt_client_is_command(const char *cmd);
/* argv[0] is the command.  Return: the exit code. */
int mt_client_main(int argc, char **argv);

#endif /* MT_CLIENT_H */
