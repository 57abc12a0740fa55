// cpp-kit: a test fixture of native/cpp/plugboard.hpp: each way an exception
// leaves a guarded body, and a guarded body that returns normally.
#include "plugboard.hpp"

#include <stdexcept>
#include <string>

PLUGBOARD_PLUGIN("cpp-kit", "0.1.0");
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
