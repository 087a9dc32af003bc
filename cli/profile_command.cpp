// `dynosim profile CONFIG --out FILE [--isl ...] [--osl ...] [--rates ...]`: the SLA planner's
// pre-deployment profile (docs/planner.md). One worker of the scenario (its model, GPU, TP, engine and
// timing) is driven by Poisson arrivals of fixed-length requests at a sweep of rates for every ISL x OSL
// pair; each point's mean TTFT and mean ITL go into the profile file the planner reads (planner.profile).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "sim/core/errors.hpp"
#include "sim/fleet/planner_profile.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::cli {

namespace sc = sim::scenario;

namespace {

struct ProfileArgs {
    std::string config, out;
    std::vector<std::string> sets;
    std::vector<std::int32_t> isl{512, 2048, 8192};
    std::vector<std::int32_t> osl{128, 512};
    std::vector<double> rates;  // empty: geometric from start_rate until saturation
    double start_rate = 0.25;
    double growth = 1.5;
    double duration_s = 120;
    double stop_ttft_ms = 5000;
    double stop_itl_ms = 500;
    std::int32_t max_points = 30;
    // "aggregated" (one worker of the scenario) or "disagg" (the scenario's disaggregated pools: one prefill
    // worker beside `ample` decode workers, then one decode worker beside `ample` prefill workers).
    std::string pools = "aggregated";
    std::int32_t ample = 4;
    bool quiet = false;
};

int run(const ProfileArgs& a) {
    if (a.out.empty()) throw sim::core::InputError("profile: --out FILE is required");
    for (auto v : a.isl)
        if (v < 1) throw sim::core::InputError(fmt::format("profile: --isl {}: must be >= 1", v));
    for (auto v : a.osl)
        if (v < 1) throw sim::core::InputError(fmt::format("profile: --osl {}: must be >= 1", v));
    for (auto v : a.rates)
        if (!(v > 0)) throw sim::core::InputError(fmt::format("profile: --rates {}: must be > 0", v));
    if (!(a.start_rate > 0)) throw sim::core::InputError(fmt::format("profile: --start-rate {}: must be > 0", a.start_rate));
    if (!(a.growth > 1)) throw sim::core::InputError(fmt::format("profile: --growth {}: must be > 1", a.growth));
    if (!(a.duration_s > 0)) throw sim::core::InputError(fmt::format("profile: --duration {}: must be > 0", a.duration_s));
    if (a.pools != "aggregated" && a.pools != "disagg")
        throw sim::core::InputError(fmt::format("profile: --pools {}: must be aggregated or disagg", a.pools));
    if (a.ample < 1) throw sim::core::InputError(fmt::format("profile: --ample {}: must be >= 1", a.ample));
    const sc::ScenarioOptions base = sc::load_scenario(a.config, a.sets);
    const bool disagg = a.pools == "disagg";
    if (disagg && !base.disagg.enabled)
        throw sim::core::InputError("profile: --pools disagg: the config must set disagg.enabled = true");

    // One sweep; `pool`: "" = the aggregated worker, "prefill" / "decode" = one worker of that pool.
    auto sweep = [&](const std::string& pool) {
        std::vector<sim::fleet::ProfilePoint> points;
        for (const std::int32_t isl : a.isl)
            for (const std::int32_t osl : a.osl) {
                std::size_t n = 0;
                for (double rate = a.rates.empty() ? a.start_rate : a.rates[0];;) {
                    sc::ScenarioOptions o = base;
                    o.fleet.workers = 1;
                    o.planner = {};
                    o.disagg.enabled = !pool.empty();
                    o.disagg.prefill.workers = pool == "prefill" ? 1 : a.ample;
                    o.disagg.decode.workers = pool == "decode" ? 1 : a.ample;
                    o.sim.max_time_s = 0;
                    o.workload = {};
                    o.workload.kind = "generator";
                    auto& g = o.workload.gen;
                    g.arrival.process = "poisson";
                    g.arrival.rate = rate;
                    g.input = {.kind = "fixed", .value = isl};
                    g.output = {.kind = "fixed", .value = osl};
                    g.duration_s = a.duration_s;
                    const sc::Result r = sc::run_scenario(o);
                    const auto& s = r.summary;
                    if (s.finished == 0) throw sim::core::InputError(fmt::format("profile: isl {} osl {} rate {}: no request finished", isl, osl, rate));
                    sim::fleet::ProfilePoint p{double(isl), double(osl), rate, s.ttft.mean,
                                               s.itl.count ? s.itl.mean : s.tpot.mean};
                    if (!(p.itl_ms > 0)) p.itl_ms = 1e-3;  // osl = 1: no gap measured
                    points.push_back(p);
                    if (!a.quiet)
                        spdlog::info("{}isl {:>6} osl {:>5} rate {:>8.3f} req/s: TTFT {:>9.1f} ms, ITL {:>7.2f} ms", pool.empty() ? "" : pool + ": ", isl, osl,
                                     rate, p.ttft_ms, p.itl_ms);
                    ++n;
                    if (!a.rates.empty()) {
                        if (n >= a.rates.size()) break;
                        rate = a.rates[n];
                    } else {
                        if (p.ttft_ms > a.stop_ttft_ms || p.itl_ms > a.stop_itl_ms ||
                            n >= static_cast<std::size_t>(a.max_points))
                            break;
                        rate = a.start_rate * std::pow(a.growth, static_cast<double>(n));
                    }
                }
            }
        return points;
    };
    if (disagg) {
        const std::int32_t ptp = base.disagg.prefill.tp > 0 ? base.disagg.prefill.tp : base.hardware.tp;
        const std::int32_t dtp = base.disagg.decode.tp > 0 ? base.disagg.decode.tp : base.hardware.tp;
        const auto pre = sweep("prefill");
        const auto dec = sweep("decode");
        std::string text = fmt::format(
            "# dynosim profile of a disaggregated fleet's pools: model {}, gpu {}, prefill tp {}, decode tp {}, "
            "flow {}, timing {}\n# one prefill worker beside {} decode workers (TTFT), one decode worker beside {} "
            "prefill workers (ITL); Poisson arrivals for {} s per point\nformat = dynosim-planner-profile-1\n",
            base.model.name, base.hardware.gpu, ptp, dtp, base.disagg.flow, base.timing.kind, a.ample, a.ample,
            a.duration_s);
        text += sim::fleet::ProfileSet::format_pool("prefill", ptp, pre);
        text += sim::fleet::ProfileSet::format_pool("decode", dtp, dec);
        sim::fleet::ProfileSet::parse(text, a.out);  // what the planner will read must parse
        std::ofstream f(a.out, std::ios::binary);
        if (!f) throw sim::core::InputError(fmt::format("profile: {}: cannot write", a.out));
        f << text;
        if (!a.quiet) spdlog::info("{} prefill and {} decode points written to {}", pre.size(), dec.size(), a.out);
        return 0;
    }
    const auto points = sweep("");
    const std::string comment =
        fmt::format("dynosim profile of one worker: model {}, gpu {}, tp {}, engine {}, timing {}\n"
                    "Poisson arrivals for {} s per point; mean TTFT and mean ITL per point",
                    base.model.name, base.hardware.gpu, base.hardware.tp, base.engine.backend, base.timing.kind,
                    a.duration_s);
    const std::string text = sim::fleet::PlannerProfile::format(base.hardware.tp, points, comment);
    sim::fleet::PlannerProfile::parse(text, a.out);  // what the planner will read must parse
    std::ofstream f(a.out, std::ios::binary);
    if (!f) throw sim::core::InputError(fmt::format("profile: {}: cannot write", a.out));
    f << text;
    if (!a.quiet) spdlog::info("{} points written to {}", points.size(), a.out);
    return 0;
}

}  // namespace

void add_profile_command(CLI::App& app) {
    auto args = std::make_shared<ProfileArgs>();
    auto* cmd = app.add_subcommand("profile", "sweep one worker's TTFT / ITL over request rate: the SLA planner's profile");
    cmd->add_option("CONFIG", args->config, "scenario TOML file (model, hardware, engine, timing; omit for defaults)");
    cmd->add_option("--set", args->sets, "override a key (repeatable)");
    cmd->add_option("--out", args->out, "profile file to write (planner.profile reads it)")->required();
    cmd->add_option("--isl", args->isl, "prompt lengths to profile (tokens)")->delimiter(',');
    cmd->add_option("--osl", args->osl, "output lengths to profile (tokens)")->delimiter(',');
    cmd->add_option("--rates", args->rates, "request rates per worker (req/s); default: geometric until saturation")
        ->delimiter(',');
    cmd->add_option("--start-rate", args->start_rate, "first rate of the geometric sweep, req/s");
    cmd->add_option("--growth", args->growth, "ratio between consecutive rates of the geometric sweep (> 1)");
    cmd->add_option("--duration", args->duration_s, "seconds of arrivals per point");
    cmd->add_option("--stop-ttft-ms", args->stop_ttft_ms, "geometric sweep stops after a point with mean TTFT above this");
    cmd->add_option("--stop-itl-ms", args->stop_itl_ms, "geometric sweep stops after a point with mean ITL above this");
    cmd->add_option("--max-points", args->max_points, "most rates per ISL x OSL pair");
    cmd->add_option("--pools", args->pools,
                    "aggregated (one worker) or disagg (the config's prefill and decode pools, each swept alone)");
    cmd->add_option("--ample", args->ample, "--pools disagg: workers of the pool not being swept");
    cmd->add_flag("--quiet", args->quiet, "print nothing");
    cmd->callback([args] { exit_code() = run(*args); });
}

}  // namespace dynosim::cli
