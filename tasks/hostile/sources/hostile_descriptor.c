/* hostile_descriptor: a hand-written runtime whose pointers lie. Built once
 * per HOSTILE_KIND:
 *   1  plugboard_entry() returns (void *)8
 *   2  plugboard_entry() returns the last 8 bytes of a page followed by an
 *      unmapped one (memory of the plugin's own, outside the object)
 *   3  descriptor.init is (void *)16, with an init hook note
 *   4  take_error() returns (void *)8 after fail()
 *   5  take_error() returns a record at the end of a page followed by an
 *      unmapped one: its message has no NUL before the hole
 *   6  descriptor.size is 0xffffffff (the host reads 32 bytes, no more): loads */
#define _DEFAULT_SOURCE
#include "plugboard.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define PB_S(x) #x
#define PB_XS(x) PB_S(x)

PB_NOTE(pb_note_plugin, PLUGBOARD_NOTE_PLUGIN,
        "abi=1.0\nname=hostile-descriptor-" PB_XS(HOSTILE_KIND) "\nversion=0.1.0\nbuild_id=\ncompiler=gcc\n");
PLUGBOARD_INTERFACE(desc, "hostile.descriptor", 1, 0);
#if HOSTILE_KIND == 3
PB_NOTE(pb_note_init, PLUGBOARD_NOTE_HOOK, "hook=init\nfunction=nowhere\n");
#endif

/* A page of the plugin's own memory followed by an unmapped page. */
__attribute__((unused)) static char *page_before_hole(void) {
  char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  munmap(p + 4096, 4096);
  return p;
}

static int failed;

PLUGBOARD_FALLIBLE_FN(desc, pb_i32, fail, (void)) {
  failed = 1;
  return 1;
}

static const plugboard_error *take(void) {
  if (!failed) return NULL;
  failed = 0;
#if HOSTILE_KIND == 4
  return (const plugboard_error *)8;
#elif HOSTILE_KIND == 5
  char *p = page_before_hole();
  if (!p) return NULL;
  const uint32_t head[2] = {7, 8};
  memcpy(p + 4096 - 16, head, sizeof head);
  memset(p + 4096 - 8, 'x', 8); /* no NUL before the hole */
  return (const plugboard_error *)(void *)(p + 4096 - 16);
#else
  static const plugboard_error e = {7, 4, "fail"};
  return &e;
#endif
}

PLUGBOARD_EXPORT const plugboard_error *plugboard_take_error(void);
PLUGBOARD_EXPORT const plugboard_error *plugboard_take_error(void) { return take(); }

__attribute__((used)) static const plugboard_descriptor descriptor = {
#if HOSTILE_KIND == 6
    0xffffffffu,
#else
    sizeof(plugboard_descriptor),
#endif
    1, 0,
#if HOSTILE_KIND == 3
    (int32_t(*)(void))16,
#else
    NULL,
#endif
    NULL, take};

PLUGBOARD_EXPORT const plugboard_descriptor *plugboard_entry(void);
PLUGBOARD_EXPORT const plugboard_descriptor *plugboard_entry(void) {
#if HOSTILE_KIND == 1
  return (const plugboard_descriptor *)8;
#elif HOSTILE_KIND == 2
  char *p = page_before_hole();
  if (!p) return NULL;
  memcpy(p + 4096 - 8, &descriptor, 8);
  return (const plugboard_descriptor *)(void *)(p + 4096 - 8);
#else
  return &descriptor;
#endif
}
