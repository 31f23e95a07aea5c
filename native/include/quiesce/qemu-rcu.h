/* Old name of <quiesce/qemu_compat.h>; include that instead. */
#include <quiesce/qemu_compat.h>
