/* SPDX-License-Identifier: GPL-2.0 */
/*
 * signal SECONDS: a SIGPROF timer every 2 ms of CPU whose handler spins in
 * sig_hot (about half the CPU), interrupting main -> main_spin. A stack in
 * sig_hot is whole only if the unwinder steps through the signal frame
 * (the kernel's rt_sigframe, glibc's __restore_rt) back into main_spin.
 */
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include "common.h"

#define BATCH 20000L

static uint64_t sig_x = 1;

__attribute__((noinline)) uint64_t sig_hot(uint64_t x)
{
	double end = wl_thread_cpu() + 0.001;

	while (wl_thread_cpu() < end)
		WL_SPIN(x, BATCH);
	return x;
}

__attribute__((noinline)) void on_signal(int sig)
{
	(void)sig;
	sig_x = sig_hot(sig_x);
}

__attribute__((noinline)) uint64_t main_spin(uint64_t x, long n)
{
	WL_SPIN(x, n);
	return x;
}

int main(int argc, char **argv)
{
	double end = wl_now() + wl_init(argc, argv, 3);
	struct itimerval it = {{0, 2000}, {0, 2000}};
	struct sigaction sa;
	uint64_t x = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGPROF, &sa, NULL);
	setitimer(ITIMER_PROF, &it, NULL);
	while (wl_now() < end)
		x = main_spin(x, BATCH);
	it = (struct itimerval){{0, 0}, {0, 0}};
	setitimer(ITIMER_PROF, &it, NULL);
	wl_sink = x + sig_x;
	return 0;
}
