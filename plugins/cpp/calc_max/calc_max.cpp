// calc-max: the "max" operator of the calc.op interface, in C++:
// apply(a, b) = the larger of a and b. NaN has no order: refused with an
// exception, which plugboard::guard turns into pb_fail.
//
// Build: g++ -std=c++17 -O2 -fPIC -shared -fvisibility=hidden
//          -I native -I native/cpp -o build/calc_max.so plugins/cpp/calc_max/calc_max.cpp
#include "plugboard.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

PLUGBOARD_PLUGIN("calc-max", "0.1.0");
PLUGBOARD_INTERFACE(calc_op, "calc.op", 1, 0);

PLUGBOARD_FN(calc_op, pb_cstring, name, (void)) { return "max"; }

static std::string show(double x) {
  std::string s = std::to_string(x);
  s.erase(s.find_last_not_of('0') + 1);  // 2.500000 -> 2.5, 3.000000 -> 3.
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

PLUGBOARD_FALLIBLE_FN(calc_op, pb_f64, apply, (pb_f64 a, pb_f64 b)) {
  return plugboard::guard([&] {
    if (std::isnan(a) || std::isnan(b)) {
      throw std::domain_error("max(" + show(a) + ", " + show(b) + "): NaN has no order");
    }
    return a < b ? b : a;
  });
}
