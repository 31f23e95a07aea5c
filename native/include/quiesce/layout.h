/*
 * quiesce — the native library's own view of its struct layouts, so the
 * Java bindings can be checked against the compiled library.
 *
 * Read by jextract.
 */
#ifndef QUIESCE_LAYOUT_H
#define QUIESCE_LAYOUT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* sizeof(struct `type`) for a public struct name such as "qs_reader" or
 * "qs_stats"; -1 if the name is unknown. */
int64_t qs_layout_sizeof(const char *type);
/* offsetof(`type`, `field`); -1 if unknown. */
int64_t qs_layout_offsetof(const char *type, const char *field);
/* Number of public structs described, and the i-th name (NULL past end). */
int32_t qs_layout_count(void);
const char *qs_layout_name(int32_t i);

/* The library version, "MAJOR.MINOR.PATCH". */
const char *qs_version(void);

#ifdef __cplusplus
}
#endif
#endif /* QUIESCE_LAYOUT_H */
