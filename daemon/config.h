/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * config.h - mmtortured's configuration: one option table for the
 * [daemon] section of its config file and its command line.  The
 * configuration is built from the defaults, then the file, then the
 * command line, which wins; SIGHUP builds it again the same way, so a key
 * removed from the file returns to its default.
 */
#ifndef MT_DAEMON_CONFIG_H
#define MT_DAEMON_CONFIG_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "lib/engine/ini.h"
#include "lib/engine/opt.h"

#define MT_DEFAULT_CONFIG	"/etc/mmtorture/mmtortured.conf"
#define MT_DEFAULT_STATE_DIR	"/var/lib/mmtorture"

struct dconfig {
	unsigned int max_parallel;	/* jobs run at once */
	unsigned int max_queue;		/* jobs waiting at most */
	unsigned int client_timeout;	/* s to send a request or read a reply; idle */
	char group[64];			/* may submit and cancel */
	char socket_group[64];		/* owns the socket we create (not under systemd) */
	char textfile_dir[256];		/* node_exporter textfile collector, or "" */
	unsigned int textfile_interval;	/* s between rewrites of it while a job runs */
	char metrics_listen[80];	/* ADDR:PORT of the /metrics endpoint, or "": off */
	/* the command line only */
	char socket_path[256];
	char state_dir[256];
	char config_path[256];
	bool config_explicit;		/* --config: the file must exist */
};

/* The running configuration. */
extern struct dconfig dcfg;
extern const struct mt_opt dconfig_opts[];

/*
 * config_init - read the command line and build the configuration
 * Return: 0 to run; 1 to exit 0 (--help printed); -1 to exit 1 (said why).
 */
int config_init(int argc, char **argv);
/*
 * config_reload - build the configuration again into @cfg (not the
 * running one)
 * Return: 1 when the config file was read, 0 when there is none (and it
 * may be missing), -1 with every problem in @err, each with its file:line.
 */
int config_build(struct dconfig *cfg, struct mt_errors *err);

/*
 * config_group_gid - the gid of the group that may submit and cancel.
 * Return: false (said once in the log) when the group does not exist.
 */
bool config_group_gid(gid_t *gid);
/*
 * config_parse_listen - "127.0.0.1:9863" or "[::1]:9863" (numeric only:
 * no name is looked up) into @ss, @len
 * Return: 0, or -1 with why in @err.
 */
int config_parse_listen(const char *v, struct sockaddr_storage *ss, socklen_t *len, char *err,
			size_t errlen);
/* Say now, not at the first dump, when textfile_dir cannot be written. */
void config_check_textfile(void);
/* Warn that mmtorture.prom cannot be written (@what failed with @err), with the fix. */
void config_textfile_warn(const char *what, int err);

#endif /* MT_DAEMON_CONFIG_H */
