/* hostile_vars: exported symbols that plugin.variable() must refuse or
 * accept. Accept: `counter` (.data), `zeroed` (.bss), reading `ro_value`
 * (.rodata) and `relro_ptr` (RELRO). Refuse: absolute symbols (`evil` far
 * away, `evil2` in the ELF header, `evil_notype` without a type), a size-0
 * object, a function, a thread-local, an IFUNC, writing read-only data, and
 * `tail`, which the suite moves to straddle the end of the last page. */
#include "plugboard.h"

#include <stdint.h>

PLUGBOARD_PLUGIN("hostile-vars", "0.1.0");
PLUGBOARD_INTERFACE(vars, "hostile.vars", 1, 0);

PLUGBOARD_FN(vars, pb_i32, touch, (void)) { return 1; }

PLUGBOARD_EXPORT int32_t counter = 7;
PLUGBOARD_EXPORT int64_t zeroed;
PLUGBOARD_EXPORT const int32_t ro_value = 42;
PLUGBOARD_EXPORT const char *const relro_ptr = "relro";
PLUGBOARD_EXPORT char zero_size[0];
PLUGBOARD_EXPORT _Thread_local int32_t tls_value = 5;
PLUGBOARD_EXPORT int64_t tail = 1;

static int32_t chosen(void) { return 3; }
static int32_t (*resolve_picked(void))(void) { return chosen; }
PLUGBOARD_EXPORT int32_t picked(void) __attribute__((ifunc("resolve_picked")));

__asm__(".globl evil\n.set evil, 0x100000000000\n.type evil, @object\n.size evil, 8\n");
__asm__(".globl evil2\n.set evil2, 0x8\n.type evil2, @object\n.size evil2, 4\n");
__asm__(".globl evil_notype\n.set evil_notype, 0x10\n");
