/* geometry: structs shared with the host, behind a pointer and by value.
 *
 * Each struct's layout is recorded with PLUGBOARD_STRUCT, from the compiler's
 * own sizeof, alignof and offsetof, so a host that declares another layout
 * (an old header with one more field, a field of another type) refuses the
 * plugin with STRUCT_MISMATCH before any of it runs. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("geometry", "0.1.0", "plugboard examples <examples@plugboard.invalid>");
PLUGBOARD_INTERFACE(geometry, "geometry", 1, 0);

struct point {
  int32_t x;
  int32_t y;
};
PLUGBOARD_STRUCT(point, x, y);

struct rect {
  struct point min;
  struct point max;
  double scale;
  uint8_t flags;
};
PLUGBOARD_STRUCT(rect, min, max, scale, flags);

/* Two floats travel in one SSE register, unlike two int32_t. */
struct vec2 {
  float x;
  float y;
};
PLUGBOARD_STRUCT(vec2, x, y);

/* Behind a pointer: the host lends a point's bytes. */
PLUGBOARD_FN(geometry, pb_i32, manhattan, (pb_pointer p)) {
  const struct point *q = p;
  return (q->x < 0 ? -q->x : q->x) + (q->y < 0 ? -q->y : q->y);
}

/* By value, both ways. */
PLUGBOARD_FN(geometry, struct point, translate, (struct point p, pb_i32 dx, pb_i32 dy)) {
  p.x += dx;
  p.y += dy;
  return p;
}

PLUGBOARD_FN(geometry, struct rect, grow, (struct rect r, pb_i32 by)) {
  r.min.x -= by;
  r.min.y -= by;
  r.max.x += by;
  r.max.y += by;
  r.flags |= 1;
  return r;
}

PLUGBOARD_FN(geometry, pb_f64, area, (struct rect r)) {
  return (double)(r.max.x - r.min.x) * (double)(r.max.y - r.min.y) * r.scale;
}

PLUGBOARD_FN(geometry, struct vec2, scale2, (struct vec2 v, pb_f32 k)) {
  v.x *= k;
  v.y *= k;
  return v;
}
