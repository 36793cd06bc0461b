/*
 * name.c: what a node may be called.
 *
 * A node's name becomes a cgroup directory (<base>/root/.../NAME), a
 * mailbox socket (<run_dir>/mailbox/NAME) and an otpctl argument, so it is
 * checked here, once, for every place it reaches: the config loader checks
 * every section, the core every dynamic child's --name.
 */
#include <ctype.h>
#include <string.h>

#include "internal.h"

/*
 * cgroupfs keeps its interface files in every cgroup directory, as
 * CONTROLLER.FILE: a child directory of such a name cannot be made (or
 * would be taken for the file by a reader).  Every cgroup v2 controller
 * (and "cgroup." itself, and irq.pressure) as of Linux 6.14.
 */
static const char *const cgroupfs_prefixes[] = {
	"cgroup.", "cpu.", "cpuset.", "dmem.", "hugetlb.", "io.", "irq.", "memory.",
	"misc.", "pids.", "rdma.",
};

static bool has_cgroupfs_prefix(const char *name)
{
	for (size_t i = 0; i < sizeof(cgroupfs_prefixes) / sizeof(cgroupfs_prefixes[0]); i++)
		if (strncmp(name, cgroupfs_prefixes[i], strlen(cgroupfs_prefixes[i])) == 0)
			return true;
	return false;
}

bool sup_name_valid(const char *name, const char **ret_why)
{
	size_t len = name ? strlen(name) : 0;
	const char *why = NULL;

	if (len == 0 || len > SUP_NAME_MAX)
		why = SUP_NAME_RULE;
	for (size_t i = 0; !why && i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.@-", name[i]))
			why = SUP_NAME_RULE;
	if (!why && (strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
		why = "\".\" and \"..\" are directories, not names";
	if (!why && name[0] == '-')
		why = "a name cannot start with '-' (otpctl would take it for an option)";
	if (!why && has_cgroupfs_prefix(name))
		why = "a name cannot start with a cgroup controller and a dot "
		      "(cgroup., cpu., cpuset., dmem., hugetlb., io., irq., memory., misc., "
		      "pids., rdma.): cgroupfs has files of that name";
	if (why && ret_why)
		*ret_why = why;
	return !why;
}
