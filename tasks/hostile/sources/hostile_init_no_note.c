/* hostile_init_no_note: a hand-written runtime whose descriptor.init is set
 * while no note declares an init hook. init_ran() says whether it ran. */
#include "plugboard.h"

PB_NOTE(pb_note_plugin, PLUGBOARD_NOTE_PLUGIN,
        "abi=1.0\nname=hostile-init-no-note\nversion=0.1.0\nbuild_id=\ncompiler=gcc\n");
PLUGBOARD_INTERFACE(hooks, "hostile.hooks", 1, 0);

static int32_t init_runs;

static int32_t setup(void) {
  init_runs++;
  return 0;
}

PLUGBOARD_FN(hooks, pb_i32, init_ran, (void)) { return init_runs; }

PLUGBOARD_EXPORT const plugboard_error *plugboard_take_error(void);
PLUGBOARD_EXPORT const plugboard_error *plugboard_take_error(void) { return NULL; }

PLUGBOARD_EXPORT const plugboard_descriptor *plugboard_entry(void);
PLUGBOARD_EXPORT const plugboard_descriptor *plugboard_entry(void) {
  static const plugboard_descriptor descriptor = {
      sizeof(plugboard_descriptor), 1, 0, setup, NULL, plugboard_take_error};
  return &descriptor;
}
