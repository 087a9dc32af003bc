// Collects per-request records and per-token gaps during a run. Workers write into it; the summary and
// the output files are computed from it afterwards. Storage is sized once from the workload.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/metrics/itl_histogram.hpp"
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

// How inter-token gaps are kept (config key metrics.itl_histogram): "off" stores every gap (exact
// percentiles), "on" streams them into an ItlHistogram (percentiles within 0.5%, mean exact), "auto" (the
// default) uses the histogram only when the workload's gap count, sum of (output tokens - 1), exceeds
// kItlHistogramAutoGaps (100 M gaps = 800 MB exact).
struct RecorderOptions {
    std::string itl_histogram = "auto";
    // Time series of the run (timeseries.csv) every this many simulated seconds; 0 = off. Range >= 0.
    double timeseries_interval_s = 0;
};
inline constexpr std::uint64_t kItlHistogramAutoGaps = 100'000'000;

class Recorder {
public:
    explicit Recorder(const workload::Workload& w, const RecorderOptions& o = {});

    RequestRecord& at(std::uint64_t id) { return records_[id]; }
    const std::vector<RequestRecord>& records() const { return records_; }
    // Request `id` sampled its n-th output token (n >= 1) at `now`; `last_token_ns` is its previous token's
    // time and is updated. Records TTFT, the inter-token gap and, when n reaches `target`, the finish.
    // Returns true when the request finished. Every engine reports tokens through this one place.
    bool record_token(std::uint64_t id, std::int32_t n, std::int32_t target, TimeNs now, TimeNs& last_token_ns) {
        RequestRecord& rec = records_[id];
        rec.generated = n;
        if (n == 1) rec.first_token_ns = now;
        else add_itl(now - last_token_ns);
        last_token_ns = now;
        rec.last_token_ns = now;
        if (n < target) return false;
        rec.finish_ns = now;
        rec.status = RequestStatus::Finished;
        return true;
    }
    // Inter-token latency of one token after the first, in ns.
    void add_itl(TimeNs gap) { add_itls(gap, 1); }
    // `count` tokens with the same gap (a decode step of `count` requests): as many add_itl calls.
    void add_itls(TimeNs gap, std::uint64_t count) {
        if (itl_hist_) itl_hist_->add(gap, count);
        else if (itl_slots_[itl_last_].gap == gap) itl_slots_[itl_last_].count += count;  // a worker's next step, mostly
        else count_itl(gap, count);
    }
    // Every gap recorded, as (gap, how many times), in no particular order; empty when they go to the
    // histogram. Step times repeat (a replay's millions of gaps take a few thousand values), so gaps are
    // counted per value rather than stored one by one.
    struct ItlCount {
        TimeNs gap;
        std::uint64_t count;
    };
    std::vector<ItlCount> itl_counts() const;
    // The streaming histogram, or null when every gap is stored.
    const ItlHistogram* itl_histogram() const { return itl_hist_ ? &*itl_hist_ : nullptr; }
    EngineCounters& counters() { return counters_; }
    const EngineCounters& counters() const { return counters_; }

private:
    std::vector<RequestRecord> records_;
    void count_itl(TimeNs gap, std::uint64_t count);
    // Open addressing on the gap value, at most half full; an empty slot has gap kNoGap.
    static constexpr TimeNs kNoGap = INT64_MIN;
    std::vector<ItlCount> itl_slots_ = std::vector<ItlCount>(64, ItlCount{kNoGap, 0});
    std::size_t itl_last_ = 0;  // the slot of the last gap counted
    std::size_t itl_values_ = 0;
    std::optional<ItlHistogram> itl_hist_;
    EngineCounters counters_;
};

}  // namespace dynosim::sim::metrics
