// What the replay benchmarks share: the Mooncake-hour scenario they run and how they read the machine.
#pragma once
#include <fmt/format.h>
#include <sys/resource.h>

#include <fstream>
#include <string>

namespace dynosim::bench {

// Peak resident memory of this process, MiB.
inline double peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

inline std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

// The first hour of the Mooncake conversation trace on `workers` Llama-3.1-8B / H100 TP1 workers behind a
// least-loaded router (the foundation issue's benchmark scenario).
inline std::string mooncake_hour_scenario(int workers) {
    return fmt::format(R"(
[model]
name = "Llama-3.1-8B"
[hardware]
gpu = "H100-SXM"
[fleet]
workers = {}
[router]
policy = "least_loaded"
[workload]
kind = "trace"
path = "data:traces/mooncake/conversation_trace.jsonl"
[workload.transform]
window_end_s = 3600
)",
                       workers);
}

}  // namespace dynosim::bench
