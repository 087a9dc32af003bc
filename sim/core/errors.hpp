// Two error channels: bad input is a ConfigError/InputError carrying where it came from (file:line,
// field); a broken invariant is a bug and aborts through DYNOSIM_ASSERT.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace dynosim::sim::core {

// Bad user input (config, trace, model file). The message names file, line and field where known.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

[[noreturn]] inline void assert_fail(const char* expr, const char* file, int line) {
    std::fprintf(stderr, "dynosim internal error: %s (%s:%d)\n", expr, file, line);
    std::abort();
}

}  // namespace dynosim::sim::core

#define DYNOSIM_ASSERT(expr) \
    ((expr) ? (void)0 : ::dynosim::sim::core::assert_fail(#expr, __FILE__, __LINE__))
