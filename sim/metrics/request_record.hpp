// What happened to one request, filled in by the worker that served it.
#pragma once
#include <cstdint>
#include <string_view>

#include "sim/core/time.hpp"

namespace dynosim::sim::metrics {

using core::TimeNs;

enum class RequestStatus : std::uint8_t {
    Pending,     // arrived (or not yet), not finished when the run ended: reported as unfinished
    Finished,
    Rejected,    // could never be served (prompt + output exceed what a worker can hold)
};
std::string_view to_string(RequestStatus s);

struct RequestRecord {
    std::uint64_t id = 0;
    TimeNs arrival_ns = 0;
    TimeNs first_scheduled_ns = -1;  // first step that computed any of its tokens
    TimeNs first_token_ns = -1;      // end of the step that sampled its first token (TTFT)
    TimeNs last_token_ns = -1;
    TimeNs finish_ns = -1;
    std::int32_t input_tokens = 0;
    std::int32_t output_tokens = 0;   // target
    std::int32_t generated = 0;       // sampled so far
    std::int32_t cached_tokens = 0;   // prefix-cache hit at first admission
    std::int32_t preemptions = 0;
    std::int32_t worker = -1;
    // Disaggregated serving: the prefill worker (-1 = prefilled where it decoded), the KV transfer's time
    // from its start (decode memory reserved) to its end, and the bytes moved.
    std::int32_t prefill_worker = -1;
    TimeNs transfer_ns = -1;
    std::int64_t transfer_bytes = 0;
    // KVBM: time from admission until the prefix blocks found below G1 were onboarded (-1 = none).
    TimeNs onboard_ns = -1;
    RequestStatus status = RequestStatus::Pending;
    bool arrived = false;
};

}  // namespace dynosim::sim::metrics
