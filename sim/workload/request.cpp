// Finalizing a workload: the order and ids every later component relies on (see request.hpp).
#include "sim/workload/request.hpp"

#include <algorithm>

namespace dynosim::sim::workload {

void finalize(Workload& w) {
    // Stable, so requests arriving at the same instant keep their file / generation order: replay is
    // then reproducible and matches the trace's own tie order.
    std::stable_sort(w.requests.begin(), w.requests.end(),
                     [](const Request& a, const Request& b) { return a.arrival_ns < b.arrival_ns; });
    for (std::size_t i = 0; i < w.requests.size(); ++i) w.requests[i].id = i;
}

}  // namespace dynosim::sim::workload
