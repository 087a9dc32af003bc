// `dynosim study run STUDY.toml [--db FILE]`, `dynosim study resume FILE`, `dynosim study show FILE`,
// `dynosim study optimizers`: run a study into SQLite, continue a killed one, print its Pareto front.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "framework/compare.hpp"
#include "framework/pareto.hpp"
#include "framework/report.hpp"
#include "framework/study.hpp"
#include "optimizers/registry.hpp"
#ifdef DYNOSIM_HAVE_MPI
#include "distributed/mpi_study.hpp"
#endif

namespace dynosim::cli {

namespace fw = framework;

namespace {

struct StudyArgs {
    std::string study_file, db, plots_dir;
    bool quiet = false, all = false, mpi = false;
};

void print_progress(const fw::TrialRecord& t, std::size_t budget) {
    std::string params;
    for (const auto& [k, v] : t.params) params += fmt::format("{}={} ", k, v);
    std::string objs = fmt::format("{}", fmt::join(t.objectives, ", "));
    spdlog::info("trial {}/{} {:<10} [{}] {} {:.2f} s{}", t.id + 1, budget, t.status, objs, params, t.wall_s,
                 t.error.empty() ? "" : " (" + t.error + ")");
}

int show(const std::string& db_path, bool all) {
    if (!std::filesystem::exists(db_path)) throw sim::core::InputError(db_path + ": no such study database");
    fw::StudyStorage db(db_path);
    const fw::Study study = fw::study_from_storage(db);
    const auto& spec = study.spec();
    const auto trials = db.trials();
    std::map<std::string, std::size_t> by_status;
    for (const auto& t : trials) ++by_status[t.status];
    fmt::print("study {} ({}), optimizer {}, seed {}, budget {}\n", spec.name, spec.source, spec.optimizer, spec.seed,
               spec.budget);
    std::string counts;
    for (const auto& [s, n] : by_status) counts += fmt::format("{} {}, ", n, s);
    fmt::print("{} trials: {}\n", trials.size(), counts.empty() ? "none" : counts.substr(0, counts.size() - 2));
    std::vector<std::vector<double>> pts;
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < trials.size(); ++i)
        if (trials[i].status == "feasible") {
            pts.push_back(study.minimized(trials[i]));
            idx.push_back(i);
        }
    if (pts.empty()) {
        fmt::print("no feasible trial yet: no front\n");
        return 0;
    }
    const auto front = fw::pareto_front(pts);
    std::vector<double> ref = fw::default_reference(pts);
    for (std::size_t i = 0; i < spec.objectives.size(); ++i)
        if (spec.objectives[i].reference)
            ref[i] = spec.objectives[i].maximize ? -*spec.objectives[i].reference : *spec.objectives[i].reference;
    std::vector<double> shown_ref;
    for (std::size_t i = 0; i < ref.size(); ++i) shown_ref.push_back(spec.objectives[i].maximize ? -ref[i] : ref[i]);
    fmt::print("Pareto front: {} of {} feasible trials; hypervolume {:.6g} (reference point [{}] in metric units)\n",
               front.size(), pts.size(), fw::hypervolume(pts, ref), fmt::join(shown_ref, ", "));
    std::vector<std::string> keys;
    for (const auto& d : spec.dimensions) keys.push_back(d.key);
    // Columns: trial, objectives, then each dimension under its shortest unambiguous key suffix.
    std::vector<std::string> header = {"trial"};
    for (const auto& o : spec.objectives) header.push_back((o.maximize ? "max " : "min ") + o.metric);
    for (const auto& l : fw::key_labels(keys)) header.push_back(l);
    if (all) header.push_back("status");
    auto row = [&](const fw::TrialRecord& t) {
        std::vector<std::string> cells = {std::to_string(t.id)};
        for (std::size_t i = 0; i < spec.objectives.size(); ++i)
            cells.push_back(i < t.objectives.size() ? fmt::format("{:.6g}", t.objectives[i]) : "-");
        for (const auto& k : keys) {
            auto it = t.params.find(k);
            cells.push_back(it == t.params.end() ? "-" : it->second);
        }
        if (all) cells.push_back(t.status);
        return cells;
    };
    std::vector<std::size_t> order(front.begin(), front.end());
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return pts[a] < pts[b]; });
    std::vector<std::vector<std::string>> table = {header};
    for (std::size_t f : order) table.push_back(row(trials[idx[f]]));
    fmt::print("{}", fw::align_table(table));
    if (all) {
        std::vector<std::vector<std::string>> every = {header};
        for (const auto& t : trials) every.push_back(row(t));
        fmt::print("\nall trials:\n{}", fw::align_table(every));
    }
    return 0;
}

// `study run --mpi` under mpirun: rank 0 prints as a plain run does; the other ranks only simulate.
int run_mpi(const StudyArgs& a) {
#ifdef DYNOSIM_HAVE_MPI
    distributed::MpiStudyOptions mo;
    mo.study_file = a.study_file;
    mo.db = a.db;
    std::size_t budget = 0;
    if (!a.quiet) mo.on_trial = [&budget](const fw::TrialRecord& t) { print_progress(t, budget); };
    budget = static_cast<std::size_t>(fw::load_study(a.study_file).budget);
    const distributed::MpiStudyResult r = distributed::run_study_mpi(mo);
    if (r.rank != 0) return 0;
    const fw::RunSummary& s = r.summary;
    spdlog::info("{} trials ({} simulated on {} worker ranks, {} ruled out before simulating){}; stored in {}", s.trials,
                 s.simulated, r.size - 1, s.rejected, s.exhausted ? "; the optimizer had nothing more to propose" : "",
                 r.db_path);
    if (!a.quiet) return show(r.db_path, false);
    return 0;
#else
    (void)a;
    throw sim::core::InputError("--mpi: this dynosim was built without MPI (CMake found no MPI implementation; "
                                "install libopenmpi-dev openmpi-bin and reconfigure)");
#endif
}

int run_or_resume(const StudyArgs& a, bool resume) {
    if (!resume && a.mpi) return run_mpi(a);
    std::unique_ptr<fw::StudyStorage> db;
    std::unique_ptr<fw::Study> study;
    if (resume) {
        if (!std::filesystem::exists(a.db)) throw sim::core::InputError(a.db + ": no such study database");
        db = std::make_unique<fw::StudyStorage>(a.db);
        study = std::make_unique<fw::Study>(fw::study_from_storage(*db).spec());
    } else {
        study = std::make_unique<fw::Study>(fw::load_study(a.study_file));
        std::string path = a.db.empty() ? std::filesystem::path(a.study_file).stem().string() + ".sqlite" : a.db;
        if (std::filesystem::exists(path)) {
            fw::StudyStorage existing(path);
            if (!existing.trials().empty())
                throw sim::core::InputError(fmt::format("{}: already holds {} trials; `dynosim study resume {}` "
                                                        "continues it, or pass another --db",
                                                        path, existing.trials().size(), path));
        }
        db = std::make_unique<fw::StudyStorage>(path);
    }
    const std::size_t before = db->trials().size();
    fw::RunOptions ro;
    const std::size_t budget = static_cast<std::size_t>(study->spec().budget);
    if (!a.quiet) ro.on_trial = [&](const fw::TrialRecord& t) { print_progress(t, budget); };
    const fw::RunSummary s = fw::run_study(*study, *db, ro);
    spdlog::info("{} trials ({} simulated now, {} from storage, {} ruled out before simulating){}; stored in {}",
                 s.trials, s.simulated, s.reused, s.rejected,
                 s.exhausted ? "; the optimizer had nothing more to propose" : "", db->path().string());
    (void)before;
    if (!a.plots_dir.empty()) {
        framework::Report rep;
        rep.sections.push_back(framework::study_section(db->path(), "study"));
        spdlog::info("wrote {} SVG plots in {}", framework::write_figures(rep, a.plots_dir).size(), a.plots_dir);
    }
    if (!a.quiet) return show(db->path().string(), false);
    return 0;
}

}  // namespace

void add_study_command(CLI::App& app) {
    auto args = std::make_shared<StudyArgs>();
    auto* cmd = app.add_subcommand("study", "run, resume and show optimization studies (docs/studies.md)");
    cmd->require_subcommand(1);
    auto* run = cmd->add_subcommand("run", "run a study file; every trial is stored in SQLite as it ends");
    run->add_option("STUDY", args->study_file, "study TOML file")->required();
    run->add_option("--db", args->db, "SQLite file to create (default: STUDY's stem + .sqlite)");
    run->add_flag("--quiet", args->quiet, "print only the final line");
    run->add_flag("--mpi", args->mpi, "spread trials over MPI ranks: mpirun -n N dynosim study run --mpi STUDY.toml");
    run->add_option("--plots", args->plots_dir, "also write the study's plots (trial cloud with its Pareto front) as SVG files here");
    run->callback([args] { exit_code() = run_or_resume(*args, false); });
    auto* resume = cmd->add_subcommand("resume", "continue a study after a kill: finished trials are kept, "
                                                 "trials in flight are run again");
    resume->add_option("DB", args->db, "the study's SQLite file")->required();
    resume->add_flag("--quiet", args->quiet, "print only the final line");
    resume->callback([args] { exit_code() = run_or_resume(*args, true); });
    auto* show_cmd = cmd->add_subcommand("show", "print a stored study: counts, Pareto front, hypervolume");
    show_cmd->add_option("DB", args->db, "the study's SQLite file")->required();
    show_cmd->add_flag("--all", args->all, "also list every trial");
    show_cmd->callback([args] { exit_code() = show(args->db, args->all); });
    auto* list = cmd->add_subcommand("optimizers", "list the optimizers and their options");
    list->callback([] {
        for (const auto& e : optimizers::builtin_optimizers().entries()) {
            fmt::print("{:<14} {}\n", e.name, e.description);
            for (const auto& o : e.options)
                fmt::print("    {:<18} {:<16} default {:<10} {}\n", o.name, o.type, o.default_value, o.doc);
        }
        exit_code() = 0;
    });
}

}  // namespace dynosim::cli
