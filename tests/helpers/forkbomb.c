/*
 * forkbomb: a worker that forks without end, for the VM tests of pids_max.
 *
 *   forkbomb
 *
 * Every process forks again and again; parent and children alike keep
 * going.  A refused fork (EAGAIN at pids.max) is counted and retried after
 * 10 ms, so a contained bomb keeps pressing on its limit without starving
 * a one-CPU VM of the time otpd needs to answer.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	const struct timespec pause_10ms = { 0, 10 * 1000 * 1000 };
	unsigned long refused = 0;

	printf("forkbomb: pid %d\n", (int)getpid());
	fflush(stdout);
	for (;;) {
		pid_t p = fork();

		if (p < 0 && errno == EAGAIN) {
			if (++refused == 1) {
				printf("forkbomb: fork refused (pid %d)\n", (int)getpid());
				fflush(stdout);
			}
			nanosleep(&pause_10ms, NULL);
		}
	}
}
