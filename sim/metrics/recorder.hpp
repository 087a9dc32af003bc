// Collects per-request records and per-token gaps during a run. Workers write into it; the summary and
// the output files are computed from it afterwards. Storage is sized once from the workload.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/metrics/request_record.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::metrics {

struct EngineCounters {
    std::uint64_t steps = 0;
    std::uint64_t preemptions = 0;
    std::uint64_t prefix_query_tokens = 0;  // prompt tokens looked up in the prefix cache (every admission)
    std::uint64_t prefix_hit_tokens = 0;    // of which were served from cache
    std::uint64_t scheduled_tokens = 0;     // tokens computed by forward passes (incl. recompute)
    std::uint64_t evictions = 0;            // cached blocks reused for other content
    TimeNs busy_ns = 0;                     // sum over workers of time spent in forward passes
};

class Recorder {
public:
    explicit Recorder(const workload::Workload& w);

    RequestRecord& at(std::uint64_t id) { return records_[id]; }
    const std::vector<RequestRecord>& records() const { return records_; }
    // Inter-token latency of one token after the first, in ns.
    void add_itl(TimeNs gap) { itl_ns_.push_back(gap); }
    const std::vector<TimeNs>& itl_ns() const { return itl_ns_; }
    EngineCounters& counters() { return counters_; }
    const EngineCounters& counters() const { return counters_; }

private:
    std::vector<RequestRecord> records_;
    std::vector<TimeNs> itl_ns_;
    EngineCounters counters_;
};

}  // namespace dynosim::sim::metrics
