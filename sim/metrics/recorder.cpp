#include "sim/metrics/recorder.hpp"

#include <algorithm>

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
}

namespace {
std::size_t itl_home(TimeNs gap, std::size_t mask) {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(gap) * 0x9e3779b97f4a7c15ULL) >> 20) & mask;
}
}  // namespace

void Recorder::count_itl(TimeNs gap, std::uint64_t count) {
    std::size_t mask = itl_slots_.size() - 1;
    std::size_t i = itl_home(gap, mask);
    while (itl_slots_[i].gap != gap && itl_slots_[i].gap != kNoGap) i = (i + 1) & mask;
    if (itl_slots_[i].gap == kNoGap) {
        if ((itl_values_ + 1) * 2 > itl_slots_.size()) {  // grow: only while new step times still appear
            std::vector<ItlCount> old(itl_slots_.size() * 2, ItlCount{kNoGap, 0});
            old.swap(itl_slots_);
            mask = itl_slots_.size() - 1;
            for (const ItlCount& r : old) {
                if (r.gap == kNoGap) continue;
                std::size_t j = itl_home(r.gap, mask);
                while (itl_slots_[j].gap != kNoGap) j = (j + 1) & mask;
                itl_slots_[j] = r;
            }
            for (i = itl_home(gap, mask); itl_slots_[i].gap != kNoGap; i = (i + 1) & mask) {}
        }
        itl_slots_[i].gap = gap;
        ++itl_values_;
    }
    itl_slots_[i].count += count;
    itl_last_ = i;
}

std::vector<Recorder::ItlCount> Recorder::itl_counts() const {
    std::vector<ItlCount> out;
    out.reserve(itl_values_);
    for (const ItlCount& r : itl_slots_)
        if (r.gap != kNoGap) out.push_back(r);
    return out;
}

}  // namespace dynosim::sim::metrics
