// cpp-kit: a test fixture of native/cpp/plugboard.hpp: each way an exception
// leaves a guarded body, and a guarded body that returns normally.
#include "plugboard.hpp"

#include <stdexcept>
#include <string>

PLUGBOARD_PLUGIN("cpp-kit", "0.1.0", "C++ Kit <kit@example.org>");
PLUGBOARD_INTERFACE(kit, "cpp.kit", 1, 0);

// Not std::to_string(int): with gcc 12 it instantiates a template holding a
// static digits table, an STB_GNU_UNIQUE symbol, and glibc then never
// unloads the library (std::to_string(double) formats with vsnprintf).
//
// 0: returns its argument; 1: throws plugboard::error(7, ...); 2: throws
// std::out_of_range; 3: throws an int.
PLUGBOARD_FALLIBLE_FN(kit, pb_i32, throws, (pb_i32 how)) {
  return plugboard::guard([&]() -> pb_i32 {
    switch (how) {
      case 1: throw plugboard::error(7, std::string("chosen ") + "code 7");
      case 2: throw std::out_of_range(std::string("index ") + char('0' + how));
      case 3: throw 42;
      default: return how;
    }
  });
}

PLUGBOARD_FALLIBLE_FN(kit, pb_cstring, text, (pb_cstring s)) {
  return plugboard::guard([&]() -> pb_cstring {
    if (std::string(s).empty()) throw std::invalid_argument("empty text");
    return s;
  });
}

// Struct layouts recorded from C++ (decltype and templates in place of C's
// _Generic): a nested struct, an enum class, const and pointer fields.
enum class cpp_kind : uint16_t { small, large };
struct cpp_point {
  int32_t x;
  int32_t y;
};
PLUGBOARD_STRUCT(cpp_point, x, y);
struct cpp_shape {
  cpp_kind kind;
  const double scale;
  cpp_point at;
  const char *label;
  bool on;
};
PLUGBOARD_STRUCT(cpp_shape, kind, scale, at, label, on);

// A struct by value, both ways.
PLUGBOARD_FN(kit, struct cpp_point, swap, (struct cpp_point p)) {
  return cpp_point{p.y, p.x};
}

