// SPDX-License-Identifier: GPL-2.0
/*
 * runas - run a command as another user, for the rustecho tests
 *
 *	runas UID COMMAND [ARG...]	as UID (group UID, no supplementary
 *					groups)
 *	runas -n COMMAND [ARG...]	as root, but without CAP_SYS_ADMIN
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/capability.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: runas UID|-n COMMAND [ARG...]\n");
		return 2;
	}
	if (!strcmp(argv[1], "-n")) {
		/* exec as root recomputes the capabilities from this set */
		if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0)) {
			perror("runas: PR_CAPBSET_DROP");
			return 2;
		}
	} else {
		char *end;
		unsigned long id = strtoul(argv[1], &end, 10);

		if (*end || setgroups(0, NULL) || setgid(id) || setuid(id)) {
			perror("runas: cannot switch to that uid");
			return 2;
		}
	}
	execvp(argv[2], argv + 2);
	perror("runas: exec");
	return 127;
}
