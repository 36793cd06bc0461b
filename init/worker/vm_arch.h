/*
 * spawn_vm_arch.h: clone3(2) for a child that shares otpd's memory and runs
 * on a stack of its own (spawn_clone.c).
 *
 * libc has no clone3 wrapper that takes a function, and syscall(2) cannot
 * be used: the child would return from it on a stack that has no frames.
 * So the child is started here, in the same few instructions as libc's own
 * clone: the parent gets the pid (or -errno) back, the child calls fn(arg)
 * on args->stack and exits 127 should fn ever return.  Architectures
 * without it get -ENOSYS, and otpd starts their workers with the plain
 * clone3 or fork (spawn.c).
 */
#ifndef OTPD_INIT_SPAWN_VM_ARCH_H
#define OTPD_INIT_SPAWN_VM_ARCH_H

#include <errno.h>
#include <linux/sched.h>
#include <sys/syscall.h>

#if defined(__x86_64__) && defined(SYS_clone3)

/* syscall leaves every register but rax, rcx and r11 to both processes. */
static inline long spawn_vm_clone3(struct clone_args *args, void (*fn)(void *), void *arg)
{
	register long rax __asm__("rax") = SYS_clone3;
	register struct clone_args *rdi __asm__("rdi") = args;
	register unsigned long rsi __asm__("rsi") = sizeof(*args);
	register void (*r12)(void *) __asm__("r12") = fn;
	register void *r13 __asm__("r13") = arg;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 /* The child, on its own (16-byte aligned) stack. */
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "mov $127, %%edi\n\t"
			 "mov %[exit], %%eax\n\t"
			 "syscall\n"
			 "1:"
			 : "+r"(rax)
			 : "r"(rdi), "r"(rsi), "r"(r12), "r"(r13), [exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory", "cc");
	return rax;
}

#elif defined(__aarch64__) && defined(SYS_clone3)

#define SPAWN_VM_STR2(x) #x
#define SPAWN_VM_STR(x) SPAWN_VM_STR2(x)

/* svc leaves every register but x0 to both processes. */
static inline long spawn_vm_clone3(struct clone_args *args, void (*fn)(void *), void *arg)
{
	register long x8 __asm__("x8") = SYS_clone3;
	register long x0 __asm__("x0") = (long)args;
	register unsigned long x1 __asm__("x1") = sizeof(*args);
	register void (*x19)(void *) __asm__("x19") = fn;
	register void *x20 __asm__("x20") = arg;

	__asm__ volatile("svc #0\n\t"
			 "cbnz x0, 1f\n\t"
			 /* The child, on its own (16-byte aligned) stack. */
			 "mov x29, xzr\n\t"
			 "mov x0, x20\n\t"
			 "blr x19\n\t"
			 "mov x0, #127\n\t"
			 "mov x8, #" SPAWN_VM_STR(SYS_exit) "\n\t"
			 "svc #0\n"
			 "1:"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x19), "r"(x20)
			 : "memory", "cc");
	return x0;
}

#else

static inline long spawn_vm_clone3(struct clone_args *args, void (*fn)(void *), void *arg)
{
	return -ENOSYS;
}

#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SPAWN_VM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define SPAWN_VM_ASAN 1
#endif
#endif

/*
 * The last child left the stack by execve, not by returning: under
 * AddressSanitizer (the unit tests) its frames' red zones are still marked
 * poisoned, and the next child would trip over them.
 */
static inline void spawn_vm_stack_clean(void *stack, size_t size)
{
#ifdef SPAWN_VM_ASAN
	ASAN_UNPOISON_MEMORY_REGION(stack, size);
#endif
}

#endif
