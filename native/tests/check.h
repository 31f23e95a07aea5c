/*
 * Minimal assertions for the native tests: a failed CHECK prints where and
 * why and exits non-zero (ctest sees the failure). Not NDEBUG-sensitive.
 */
#ifndef QS_TEST_CHECK_H
#define QS_TEST_CHECK_H

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                      \
            exit(1);                                                       \
        }                                                                  \
    } while (0)

#define CHECK_EQ(a, b)                                                     \
    do {                                                                   \
        long long qs_a_ = (long long)(a), qs_b_ = (long long)(b);          \
        if (qs_a_ != qs_b_) {                                              \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n", \
                    __FILE__, __LINE__, #a, #b, qs_a_, qs_b_);             \
            exit(1);                                                       \
        }                                                                  \
    } while (0)

#define CHECK_OK(expr) CHECK_EQ((expr), 0)

/* 1 when QS_LONG is set to something other than "0" or "". */
static inline int qs_test_long(void)
{
    const char *v = getenv("QS_LONG");
    return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

/* Defined when built with ASan or TSan, whose runtimes (clang 14, gcc 12)
 * can deadlock a fork child at its first allocation (see test_torture.c):
 * tests that fork skip it there unless asked to. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define QS_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define QS_TEST_SANITIZED 1
#endif
#endif

#endif /* QS_TEST_CHECK_H */
