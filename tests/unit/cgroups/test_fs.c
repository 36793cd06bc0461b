/* Control files, flat-keyed text and cgroup directories (on a temporary
 * directory standing in for cgroupfs). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgtest.h"

TestSuite(cg_fs, .init = ct_setup, .fini = ct_teardown);

Test(cg_kv, key_found)
{
	int64_t v = 99;

	cr_assert_eq(cg_kv("populated 1\nfrozen 0\n", "populated", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(cg_kv("populated 1\nfrozen 0\n", "frozen", &v), 0);
	cr_assert_eq(v, 0);
	/* last line without a newline, big and negative numbers */
	cr_assert_eq(cg_kv("a 1\nusage_usec 123456789012", "usage_usec", &v), 0);
	cr_assert_eq(v, 123456789012);
	cr_assert_eq(cg_kv("low -5\n", "low", &v), 0);
	cr_assert_eq(v, -5);
}

Test(cg_kv, prefix_of_another_key)
{
	/* memory.events: oom, oom_kill, oom_group_kill */
	static const char ev[] = "low 0\nhigh 0\nmax 7\noom_kill 3\noom 2\noom_group_kill 1\n";
	int64_t v = 99;

	cr_assert_eq(cg_kv(ev, "oom", &v), 0);
	cr_assert_eq(v, 2);
	cr_assert_eq(cg_kv(ev, "oom_kill", &v), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(cg_kv(ev, "oom_group_kill", &v), 0);
	cr_assert_eq(v, 1);
	/* a key longer than the one in the text is not a match either */
	cr_assert_eq(cg_kv("oom 2\n", "oom_kill", &v), -ENOENT);
}

Test(cg_kv, missing)
{
	int64_t v = 99;

	cr_assert_eq(cg_kv("populated 1\nfrozen 0\n", "killed", &v), -ENOENT);
	cr_assert_eq(cg_kv("", "populated", &v), -ENOENT);
	/* only the start of a line is a key, not a value or a line's end */
	cr_assert_eq(cg_kv("x populated\nfoo_populated 1\n", "populated", &v), -ENOENT);
	cr_assert_eq(v, 99);
}

Test(cg_kv, not_a_number)
{
	int64_t v = 99;

	cr_assert_eq(cg_kv("populated yes\n", "populated", &v), -EINVAL);
	cr_assert_eq(v, 99);
}

Test(cg_fs, write_then_read)
{
	char buf[64];

	ct_put("memory.max", "");
	cr_assert_eq(cg_write(ct_fd, "memory.max", "max"), 0);
	cr_assert_str_eq(ct_get("memory.max"), "max");
	cr_assert_eq(cg_read(ct_fd, "memory.max", buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "max");
}

Test(cg_fs, read_truncates_to_the_buffer)
{
	char buf[5];

	ct_put("cgroup.events", "populated 1\nfrozen 0\n");
	cr_assert_eq(cg_read(ct_fd, "cgroup.events", buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "popu");
	ct_put("empty", "");
	cr_assert_eq(cg_read(ct_fd, "empty", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
}

Test(cg_fs, absent_files)
{
	char buf[16];

	cr_assert_eq(cg_read(ct_fd, "memory.current", buf, sizeof(buf)), -ENOENT);
	/* a control file is never created: cgroupfs has it or the controller is off */
	cr_assert_eq(cg_write(ct_fd, "memory.max", "max"), -ENOENT);
	cr_assert(!ct_exists("memory.max"));
	ct_mkdir("sub");
	cr_assert_eq(cg_write(ct_fd, "sub", "1"), -EISDIR);
}

Test(cg_fs, open_child_creates)
{
	bool created = false;
	struct stat st;
	int fd = cg_open_child(ct_fd, "w", true, &created);

	cr_assert_geq(fd, 0);
	cr_assert(created);
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	/* the fd is the new directory: a file made through it shows up there */
	close(fd);
	ct_put("w/cgroup.procs", "");
	fd = cg_open_child(ct_fd, "w", true, &created);
	cr_assert_geq(fd, 0);
	cr_assert_not(created, "an existing cgroup is opened, not created");
	cr_assert_eq(cg_write(fd, "cgroup.procs", "0"), 0);
	cr_assert_str_eq(ct_get("w/cgroup.procs"), "0");
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

Test(cg_fs, open_child_without_create)
{
	bool created = true;
	int fd;

	cr_assert_eq(cg_open_child(ct_fd, "absent", false, &created), -ENOENT);
	cr_assert_not(created);
	cr_assert(!ct_exists("absent"));
	ct_mkdir("there");
	fd = cg_open_child(ct_fd, "there", false, NULL);
	cr_assert_geq(fd, 0);
	close(fd);
	/* a file of that name is not a cgroup */
	ct_put("file", "");
	created = true;
	cr_assert_eq(cg_open_child(ct_fd, "file", true, &created), -ENOTDIR);
	cr_assert_not(created);
	/* nested: the parent must exist */
	cr_assert_eq(cg_open_child(ct_fd, "no/such", true, &created), -ENOENT);
}

Test(cg_fs, remove_nested_deepest_first)
{
	ct_mkdir("root");
	ct_mkdir("root/sup");
	ct_mkdir("root/sup/w1");
	ct_mkdir("root/sup/w2");
	ct_mkdir("root/sup/w2/inner");
	ct_mkdir("root/other");
	ct_mkdir("keep");
	cr_assert_eq(cg_remove(ct_fd, "root"), 0);
	cr_assert(!ct_exists("root"));
	cr_assert(ct_exists("keep"), "a sibling stays");
}

Test(cg_fs, remove_absent_is_done)
{
	cr_assert_eq(cg_remove(ct_fd, "absent"), 0);
}

Test(cg_fs, remove_reports_what_blocks)
{
	/* on cgroupfs a cgroup with processes refuses rmdir; here a file does */
	ct_mkdir("a");
	ct_mkdir("a/b");
	ct_mkdir("a/c");
	ct_put("a/b/busy", "");
	cr_assert_eq(cg_remove(ct_fd, "a"), -ENOTEMPTY);
	cr_assert(ct_exists("a/b/busy"));
	cr_assert(!ct_exists("a/c"), "what could go, went");
}

Test(cg_fs, enable_writes_one_line)
{
	ct_put("cgroup.subtree_control", "");
	cr_assert_eq(cg_enable(ct_fd, CG_IO | CG_CPU | CG_CPUSET), 0);
	cr_assert_str_eq(ct_get("cgroup.subtree_control"), "+cpu +io +cpuset");
}

Test(cg_fs, enable_nothing_touches_nothing)
{
	/* no cgroup.subtree_control at all: an empty mask must not need one */
	cr_assert_eq(cg_enable(ct_fd, 0), 0);
	cr_assert_eq(cg_enable(ct_fd, CG_MEMORY), -ENOENT);
}

Test(cg_fs, move_self_writes_zero)
{
	ct_put("cgroup.procs", "");
	cr_assert_eq(cg_move_self(ct_fd), 0);
	cr_assert_str_eq(ct_get("cgroup.procs"), "0");
}
