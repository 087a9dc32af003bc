// Builds the workload a run replays (see workload_options.hpp).
#include <fmt/format.h>

#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"
#include "sim/workload/workload_options.hpp"

namespace dynosim::sim::workload {

namespace {
// Stream for transform sampling, apart from the generator's own streams of the same seed.
constexpr std::uint64_t kStreamTransform = 0x7472616e73666f72ULL;

void append(std::vector<std::string>& to, std::vector<std::string> more) {
    to.insert(to.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}
}  // namespace

std::vector<std::string> WorkloadOptions::validate() const {
    std::vector<std::string> errs;
    if (kind == "trace") {
        if (path.empty()) errs.push_back("workload.path = \"\": a trace workload needs a trace file");
        append(errs, load.validate("workload."));
    } else if (kind == "generator") {
        append(errs, gen.validate("workload.generator."));
    } else if (kind == "servegen") {
        if (path.empty())
            errs.push_back("workload.path = \"\": a servegen workload needs the ServeGen data directory");
        append(errs, servegen.validate("workload.servegen."));
    } else {
        errs.push_back(
            fmt::format("workload.kind = \"{}\": must be one of trace, generator, servegen", kind));
    }
    append(errs, transform.validate("workload.transform."));
    return errs;
}

Workload build_workload(const WorkloadOptions& opts, std::uint64_t seed) {
    if (auto errs = opts.validate(); !errs.empty()) {
        std::string msg = "invalid workload options:";
        for (const auto& e : errs) msg += "\n  " + e;
        throw core::InputError(msg);
    }
    Workload w;
    if (opts.kind == "trace")
        w = load_trace(opts.path, opts.load);
    else if (opts.kind == "generator")
        w = generate(opts.gen, seed);
    else
        w = generate_servegen(opts.path, opts.servegen, seed);
    core::Rng rng = core::Rng(seed).fork(kStreamTransform);
    apply_transforms(w, opts.transform, rng);  // finalizes
    return w;
}

}  // namespace dynosim::sim::workload
