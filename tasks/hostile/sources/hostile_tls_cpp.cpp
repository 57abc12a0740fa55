// hostile_tls_cpp: a C++ plugin with a `thread_local std::string`. Its first
// use on a thread registers a destructor (__cxa_thread_atexit), and glibc
// then keeps the library mapped after dlclose until that thread exits.
#include "plugboard.h"

#include <string>

PLUGBOARD_PLUGIN("hostile-tls-cpp", "0.1.0");
PLUGBOARD_INTERFACE(tls, "hostile.tls", 1, 0);

static thread_local std::string last;

PLUGBOARD_FN(tls, pb_cstring, remember, (pb_cstring s)) {
  last = std::string("seen ") + s + std::string(48, '.');
  return last.c_str();
}
