#include "sim/metrics/recorder.hpp"

namespace dynosim::sim::metrics {

std::string_view to_string(RequestStatus s) {
    switch (s) {
        case RequestStatus::Pending: return "unfinished";
        case RequestStatus::Finished: return "finished";
        case RequestStatus::Rejected: return "rejected";
    }
    return "unknown";
}

Recorder::Recorder(const workload::Workload& w, const RecorderOptions& o) {
    records_.resize(w.requests.size());
    std::uint64_t tokens = 0;
    for (std::size_t i = 0; i < w.requests.size(); ++i) {
        const auto& r = w.requests[i];
        auto& rec = records_[i];
        rec.id = r.id;
        rec.arrival_ns = r.arrival_ns;
        rec.input_tokens = r.input_tokens;
        rec.output_tokens = r.output_tokens;
        tokens += static_cast<std::uint64_t>(r.output_tokens > 1 ? r.output_tokens - 1 : 0);
    }
    if (o.itl_histogram == "on" || (o.itl_histogram == "auto" && tokens > kItlHistogramAutoGaps)) itl_hist_.emplace();
    else itl_ns_.reserve(tokens);
}

}  // namespace dynosim::sim::metrics
