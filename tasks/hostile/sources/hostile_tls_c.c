/* hostile_tls_c: what Rust's `thread_local!` holding a Drop type does, in C:
 * register a thread-local destructor with __cxa_thread_atexit_impl and the
 * library's __dso_handle. glibc then keeps the library mapped after dlclose
 * until the registering thread exits. `keep` is also declared nonblocking
 * by the suite, so the destructor can belong to a thread of Deno's pool. */
#include "plugboard.h"

#include <stdlib.h>
#include <string.h>

extern int __cxa_thread_atexit_impl(void (*dtor)(void *), void *obj, void *dso_symbol);
extern void *__dso_handle;

PLUGBOARD_PLUGIN("hostile-tls-c", "0.1.0");
PLUGBOARD_INTERFACE(tls, "hostile.tls", 1, 0);

static _Thread_local char *slot;
static _Thread_local int registered;

static void drop_slot(void *unused) {
  (void)unused;
  free(slot);
  slot = NULL;
}

PLUGBOARD_FN(tls, pb_i32, keep, (pb_i32 n)) {
  if (n < 0 || n > 4096) return -1;
  if (!registered) {
    __cxa_thread_atexit_impl(drop_slot, NULL, &__dso_handle);
    registered = 1;
  }
  free(slot);
  slot = malloc((size_t)n + 1);
  if (!slot) return -1;
  memset(slot, 'x', (size_t)n);
  slot[n] = '\0';
  return (pb_i32)strlen(slot);
}
