// Where a run's requests come from, as one validated options struct: a recorded trace, the synthetic
// generator, or ServeGen multi-client statistics, followed by replay transforms. The scenario's
// [workload] config table maps onto it; build_workload turns it into a finalized Workload.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/workload/generator.hpp"
#include "sim/workload/request.hpp"
#include "sim/workload/servegen.hpp"
#include "sim/workload/trace_loader.hpp"
#include "sim/workload/transforms.hpp"

namespace dynosim::sim::workload {

struct WorkloadOptions {
    // Source of requests: "trace" (load `path`), "generator" (synthesize from `gen`) or "servegen"
    // (multi-client statistics in directory `path`, shaped by `servegen`). Default "trace".
    std::string kind = "trace";
    // kind = "trace": the trace file; kind = "servegen": the directory holding chunk-<k>-trace.csv and
    // chunk-<k>-dataset.json. Unused by "generator". Default empty.
    std::string path{};
    // Trace loading (kind = "trace").
    LoadOptions load{};
    // Synthetic generation (kind = "generator").
    GeneratorOptions gen{};
    // ServeGen span, clients and rate scale (kind = "servegen").
    ServeGenOptions servegen{};
    // Replay transforms applied to every kind, after loading / generation.
    TransformOptions transform{};

    // Messages `workload.<field> = <value>: <rule>` for the fields that matter to `kind`; empty when
    // valid. Does not touch the file system (a missing file is reported by build_workload).
    std::vector<std::string> validate() const;
};

// Loads or generates, applies the transforms and finalizes. Deterministic given `seed` (the trace
// itself has no randomness; the seed drives generation and sampling). Throws core::InputError.
Workload build_workload(const WorkloadOptions& opts, std::uint64_t seed);

}  // namespace dynosim::sim::workload
