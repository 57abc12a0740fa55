/* hostile_hook_note_only: a hand-written runtime (not PLUGBOARD_PLUGIN's)
 * whose notes declare an init hook while descriptor.init is NULL. */
#include "plugboard.h"

PB_NOTE(pb_note_plugin, PLUGBOARD_NOTE_PLUGIN,
        "abi=1.0\nname=hostile-hook-note-only\nversion=0.1.0\nbuild_id=\ncompiler=gcc\n");
PLUGBOARD_INTERFACE(hooks, "hostile.hooks", 1, 0);
PB_NOTE(pb_note_init, PLUGBOARD_NOTE_HOOK, "hook=init\nfunction=setup\n");

static int32_t init_runs;

PLUGBOARD_FN(hooks, pb_i32, init_ran, (void)) { return init_runs; }

PLUGBOARD_EXPORT const plugboard_error *plugboard_take_error(void);
PLUGBOARD_EXPORT const plugboard_error *plugboard_take_error(void) { return NULL; }

PLUGBOARD_EXPORT const plugboard_descriptor *plugboard_entry(void);
PLUGBOARD_EXPORT const plugboard_descriptor *plugboard_entry(void) {
  static const plugboard_descriptor descriptor = {
      sizeof(plugboard_descriptor), 1, 0, NULL, NULL, plugboard_take_error};
  return &descriptor;
}
