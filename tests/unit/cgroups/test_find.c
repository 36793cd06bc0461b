/* Where cgroup2 is mounted and where a process sits in it; controller names. */
#include <errno.h>
#include <string.h>

#include "cgtest.h"

/* A hybrid host, as this test machine is: v1 hierarchies and a tmpfs at
 * /sys/fs/cgroup, cgroup2 at .../unified. */
static const char hybrid[] =
	"22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
	"30 22 0:27 / /sys/fs/cgroup rw,relatime shared:9 - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime shared:10 - cgroup cgroup rw,cpu\n"
	"32 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime shared:18 - cgroup2 cgroup2 rw\n"
	"41 22 0:37 / /mnt/second rw,relatime - cgroup2 cgroup2 rw\n";

static int find(const char *text, char *buf, size_t len)
{
	FILE *f = ct_text(text);
	int r = cg_find_mount(f, buf, len);

	fclose(f);
	return r;
}

static int own(const char *text, char *buf, size_t len)
{
	FILE *f = ct_text(text);
	int r = cg_own_path(f, buf, len);

	fclose(f);
	return r;
}

Test(cg_find_mount, first_cgroup2_mount)
{
	char buf[256];

	cr_assert_eq(find(hybrid, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/sys/fs/cgroup/unified");
}

Test(cg_find_mount, unified_host)
{
	char buf[256];

	cr_assert_eq(find("35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - "
			  "cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
			  buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/sys/fs/cgroup");
}

Test(cg_find_mount, octal_escapes_undone)
{
	char buf[256];

	/* space, tab, newline and backslash are written as \ooo */
	cr_assert_eq(find("50 22 0:40 / /run/my\\040cg\\011x\\134y rw - cgroup2 none rw\n", buf,
			  sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/run/my cg\tx\\y");
	/* a backslash not followed by three octal digits is kept */
	cr_assert_eq(find("50 22 0:40 / /a\\09\\x rw - cgroup2 none rw\n", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/a\\09\\x");
}

Test(cg_find_mount, v1_lines_not_taken)
{
	char buf[256] = "untouched";

	cr_assert_eq(find("31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
			  "32 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
			  buf, sizeof(buf)), -ENOENT);
	/* a type that merely starts with cgroup2 is not cgroup2 */
	cr_assert_eq(find("33 30 0:29 / /x rw - cgroup2fake none rw\n", buf, sizeof(buf)), -ENOENT);
	/* "cgroup2" as the mount source of another type either */
	cr_assert_eq(find("34 30 0:29 / /y rw - tmpfs cgroup2 rw\n", buf, sizeof(buf)), -ENOENT);
	cr_assert_str_eq(buf, "untouched");
}

Test(cg_find_mount, none)
{
	char buf[256];

	cr_assert_eq(find("", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(find("22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n", buf,
			  sizeof(buf)), -ENOENT);
	/* a truncated line is not a mount */
	cr_assert_eq(find("40 30 - cgroup2 cgroup2 rw\n", buf, sizeof(buf)), -ENOENT);
}

Test(cg_find_mount, too_long)
{
	char buf[64];

	/* "/sys/fs/cgroup/unified" is 22 characters: 23 bytes fit, 22 do not */
	cr_assert_eq(find(hybrid, buf, 22), -ENAMETOOLONG);
	cr_assert_eq(find(hybrid, buf, 23), 0);
	cr_assert_str_eq(buf, "/sys/fs/cgroup/unified");
	/* the unescaped length counts: "/a b" needs 5 bytes, not 8 */
	cr_assert_eq(find("50 22 0:40 / /a\\040b rw - cgroup2 none rw\n", buf, 5), 0);
	cr_assert_str_eq(buf, "/a b");
}

Test(cg_own_path, hybrid_host)
{
	char buf[256];

	cr_assert_eq(own("9:name=systemd:/user.slice\n"
			 "4:memory:/process_api/61aa\n"
			 "1:cpu:/\n"
			 "0::/a/b\n", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/a/b");
}

Test(cg_own_path, unified_host_root)
{
	char buf[256];

	cr_assert_eq(own("0::/\n", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/");
	/* no final newline */
	cr_assert_eq(own("0::/x.slice/y.service", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/x.slice/y.service");
}

Test(cg_own_path, no_v2_line)
{
	char buf[256] = "untouched";

	cr_assert_eq(own("4:memory:/m\n10::/not-v2\n1:cpu:/\n", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(own("", buf, sizeof(buf)), -ENOENT);
	cr_assert_str_eq(buf, "untouched");
}

Test(cg_own_path, too_long)
{
	char buf[8];

	cr_assert_eq(own("0::/abcdefgh\n", buf, sizeof(buf)), -ENAMETOOLONG);
	cr_assert_eq(own("0::/abcdef\n", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/abcdef");
}

Test(cg_controllers, parse)
{
	cr_assert_eq(cg_controllers_parse(""), 0);
	cr_assert_eq(cg_controllers_parse("cpu"), CG_CPU);
	cr_assert_eq(cg_controllers_parse("cpuset cpu io memory pids\n"), CG_ALL);
	cr_assert_eq(cg_controllers_parse("  memory\t\tpids  \n"), CG_MEMORY | CG_PIDS);
}

Test(cg_controllers, parse_ignores_unknown)
{
	/* what a real cgroup.controllers lists beside ours */
	cr_assert_eq(cg_controllers_parse("cpuset cpu io memory hugetlb pids rdma misc\n"), CG_ALL);
	cr_assert_eq(cg_controllers_parse("hugetlb"), 0);
	/* whole names only */
	cr_assert_eq(cg_controllers_parse("cpus mem iox pid cpusets"), 0);
	cr_assert_eq(cg_controllers_parse("+cpu -memory"), 0);
}

Test(cg_controllers, format)
{
	char buf[64];

	cg_controllers_format(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	cg_controllers_format(CG_ALL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "cpu memory pids io cpuset");
	cg_controllers_format(CG_CPUSET | CG_MEMORY, buf, sizeof(buf));
	cr_assert_str_eq(buf, "memory cpuset");
	/* bits that name no controller are left out */
	cg_controllers_format(CG_IO | (1u << 9), buf, sizeof(buf));
	cr_assert_str_eq(buf, "io");
}

Test(cg_controllers, round_trip)
{
	char buf[64];

	for (unsigned m = 0; m <= CG_ALL; m++) {
		cg_controllers_format(m, buf, sizeof(buf));
		cr_assert_eq(cg_controllers_parse(buf), m, "mask %#x -> \"%s\"", m, buf);
	}
	cr_assert_eq(cg_controllers_parse("io pids cpu"), CG_IO | CG_PIDS | CG_CPU);
	cg_controllers_format(cg_controllers_parse("io pids cpu"), buf, sizeof(buf));
	cr_assert_str_eq(buf, "cpu pids io");
}

Test(cg_controllers, format_short_buffer_keeps_whole_names)
{
	char buf[16];

	/* "cpu memory pids io cpuset" does not fit in 8: no half name */
	cg_controllers_format(CG_ALL, buf, 8);
	cr_assert_str_eq(buf, "cpu");
	cg_controllers_format(CG_ALL, buf, 11);
	cr_assert_str_eq(buf, "cpu memory");
	cg_controllers_format(CG_ALL, buf, 1);
	cr_assert_str_eq(buf, "");
	memcpy(buf, "XY", 3);
	cg_controllers_format(CG_ALL, buf, 0);
	cr_assert_str_eq(buf, "XY", "len 0 writes nothing");
}
