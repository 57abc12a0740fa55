/*
 * plugboard.hpp - C++ helpers over plugboard.h.
 *
 * plugboard.h works from C++ as it is (exported functions get C linkage).
 * This header adds one thing C does not need: exceptions must not cross the
 * C ABI, so a fallible function runs its body in plugboard::guard, which
 * turns a thrown exception into pb_fail:
 *
 *   #include "plugboard.hpp"
 *
 *   PLUGBOARD_FALLIBLE_FN(calc_op, pb_f64, apply, (pb_f64 a, pb_f64 b)) {
 *     return plugboard::guard([&] {
 *       if (b == 0) throw plugboard::error(2, "division by zero");
 *       return a / b;
 *     });
 *   }
 *
 * Everything else of plugboard.h works in C++ as in C, including the 3-argument
 * PLUGBOARD_PLUGIN(name, version, author) and PLUGBOARD_STRUCT(name, fields...),
 * which types each field with templates over decltype where C uses _Generic
 * (an enum, enum class included, is its underlying integer type). A struct
 * passed by value must be standard-layout (offsetof) and is written
 * `struct NAME` in PLUGBOARD_FN.
 *
 * plugboard::error(code, message) chooses the code; any other std::exception
 * is reported with code 1 and its what(); anything else with code 1 and
 * "unknown exception". The failed call returns a value-initialised result
 * (0, false, NULL), which the host ignores.
 *
 * Keep a plugin unloadable: no thread_local objects with destructors (a
 * thread_local std::string registers a TLS destructor, and glibc then keeps
 * the library mapped until that thread exits) and no static data in inline
 * functions or templates (STB_GNU_UNIQUE symbols: never unloaded; with
 * gcc 12, std::to_string(int) is one: it instantiates a template holding a
 * static digits table). Return cstring results from string literals or
 * thread_local char arrays. plugboard's close() says when a library stays.
 */
#ifndef PLUGBOARD_HPP
#define PLUGBOARD_HPP

#ifndef __cplusplus
#error "plugboard.hpp is for C++; C plugins include plugboard.h"
#endif

#include "plugboard.h"

#include <exception>
#include <stdexcept>
#include <string>

namespace plugboard {

/** An exception that carries the error code reported to the host. */
class error : public std::runtime_error {
 public:
  /** `code` must not be 0. */
  error(int32_t code, const std::string &message) : std::runtime_error(message), code_(code) {}
  /** The code reported to the host. */
  int32_t code() const noexcept { return code_; }

 private:
  int32_t code_;
};

/**
 * Run `body` and return its result; an exception it throws is recorded with
 * pb_fail (plugboard::error: its code; other std::exception: code 1 and
 * what(); anything else: code 1, "unknown exception") and a
 * value-initialised result is returned instead. Never throws.
 */
template <typename F>
auto guard(F &&body) noexcept -> decltype(body()) {
  using Result = decltype(body());
  try {
    return body();
  } catch (const error &e) {
    pb_fail(e.code(), "%s", e.what());
  } catch (const std::exception &e) {
    pb_fail(1, "%s", e.what());
  } catch (...) {
    pb_fail(1, "%s", "unknown exception");
  }
  return Result();
}

}  // namespace plugboard

#endif /* PLUGBOARD_HPP */
