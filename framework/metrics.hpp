// The metrics a study may optimize or constrain, read from a run's summary by name: latency distributions
// (ttft, tpot, itl, e2e, queue: .mean .p50 .p90 .p99, milliseconds), throughputs, goodput, SLA attainment,
// GPU-seconds and GPU-hours, cost (GPU-hours x the study's price), preemptions, counts.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "sim/metrics/summary.hpp"

namespace dynosim::framework {

using MetricMap = std::map<std::string, double>;

// Every metric name with a one-line meaning and unit, in documentation order.
const std::vector<std::pair<std::string, std::string>>& metric_docs();
bool is_metric(const std::string& name);
// All metrics of a summary. cost_per_gpu_hour prices `cost` (currency units per GPU-hour).
MetricMap summary_metrics(const sim::metrics::Summary& s, double cost_per_gpu_hour);

}  // namespace dynosim::framework
