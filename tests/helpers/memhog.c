/*
 * memhog: a worker that takes memory, for the VM tests of memory_max.
 *
 *   memhog SIZE_MB [--once FLAGFILE]
 *
 * Prints its cgroup ("memhog: cgroup 0::/root/hog"), then touches SIZE_MB
 * MiB one MiB at a time and holds it, sleeping, until killed.  With
 * --once, a run that finds FLAGFILE only sleeps: the first run creates it
 * and hogs, so the run after an OOM kill is a quiet restart instead of a
 * restart loop that would exhaust the supervisor's intensity.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_cgroup(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "r");

	while (f && fgets(line, sizeof(line), f))
		printf("memhog: cgroup %s", line);
	if (f)
		fclose(f);
	fflush(stdout);
}

static void hold_forever(void)
{
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	const char *once = NULL;
	long mb;
	int fd;

	if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--once") == 0)) {
		fprintf(stderr, "usage: memhog SIZE_MB [--once FLAGFILE]\n");
		return 2;
	}
	mb = atol(argv[1]);
	if (argc == 4)
		once = argv[3];
	print_cgroup();
	if (once) {
		fd = open(once, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			printf("memhog: %s exists, holding nothing\n", once);
			fflush(stdout);
			hold_forever();
		}
		close(fd);
	}
	for (long i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);

		if (!p) {
			perror("memhog: malloc");
			return 1;
		}
		memset(p, 0x5a, 1 << 20);       /* touched, so really charged */
	}
	printf("memhog: holding %ld MiB\n", mb);
	fflush(stdout);
	hold_forever();
}
