/*
 * orphans: makes orphans for otpd's PID 1 tests (integration, and
 * statically linked in the container tier's image).
 *
 *   orphans N
 *
 * Forks N children that each fork a grandchild and exit at once, so the
 * grandchildren (which exit too) are left to PID 1 (or the nearest
 * subreaper).  Then waits until no zombie is left in /proc, at most 10 s,
 * and prints "zombies Z after MS ms"; exit 0 when Z is 0, 1 otherwise.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Processes in state Z that /proc shows. */
static int zombies(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], st = 0;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		/* pid (comm) state: comm may hold blanks and ')' */
		if (fscanf(f, "%*d (%*[^)]) %c", &st) == 1 && st == 'Z')
			n++;
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, z;
	long start;

	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0) {
			if (fork() == 0)
				_exit(0);
			_exit(0);
		}
		if (p > 0)
			(void)waitpid(p, NULL, 0);
	}
	start = now_ms();
	while ((z = zombies()) > 0 && now_ms() - start < 10000)
		usleep(10000);
	printf("zombies %d after %ld ms\n", z, now_ms() - start);
	return z != 0;
}
