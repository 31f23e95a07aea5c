/*
 * Private helpers shared by the runtime's files. Nothing here is part of
 * the public ABI: QS_INTERNAL keeps these symbols out of libquiesce's
 * dynamic symbol table.
 */
#ifndef QUIESCE_RUNTIME_INTERNAL_H
#define QUIESCE_RUNTIME_INTERNAL_H

#define QS_INTERNAL __attribute__((visibility("hidden")))

/* The cache line size we separate hot fields by. */
#define QS_CACHE_LINE 64

/* Recover the enclosing object from a pointer to one of its members. */
#define QS_RT_CONTAINER(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* A spin-wait hint to the CPU. */
static inline void qs_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

#endif /* QUIESCE_RUNTIME_INTERNAL_H */
