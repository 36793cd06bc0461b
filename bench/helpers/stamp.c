/*
 * stamp: a benchmark worker that records CLOCK_MONOTONIC (ns) at main().
 *
 *   stamp FILE exit    append "s NS" and "e NS", then exit 1 (a crash)
 *   stamp FILE stay    append "s NS", then sleep until killed
 *
 * One write(2) per line with O_APPEND, so concurrent workers never mix.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void stamp(int fd, char tag)
{
	struct timespec ts;
	char buf[64];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(buf, sizeof(buf), "%c %lld\n", tag,
		     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	(void)!write(fd, buf, (size_t)n);
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 3)
		return 2;
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 2;
	stamp(fd, 's');
	if (strcmp(argv[2], "exit") == 0) {
		stamp(fd, 'e');
		return 1;
	}
	for (;;)
		pause();
}
