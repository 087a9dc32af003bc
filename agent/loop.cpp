#include "agent/loop.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "agent/builder.hpp"
#include "agent/history.hpp"
#include "agent/proposer.hpp"
#include "framework/study_storage.hpp"

namespace dynosim::agent {

namespace fs = std::filesystem;

namespace {

std::string best_commit(GitRepo& repo) {
    auto b = repo.resolve(std::string("refs/heads/") + kBestBranch);
    if (!b) throw GitError(fmt::format("{}: branch {} is missing", repo.workdir().string(), kBestBranch));
    return *b;
}

// Puts the repository on agent/best with a clean tree, or throws when that would lose the user's work.
void make_clean(Workspace& ws, const LoopOptions& o) {
    GitRepo& repo = ws.repo();
    if (!repo.resolve(std::string("refs/heads/") + kBestBranch)) {
        // A repository made by hand: start from its HEAD.
        const auto head = repo.head_commit();
        if (!head) throw GitError(fmt::format("{}: the repository has no commit yet; commit the policy first", ws.dir().string()));
        const auto dirty = repo.dirty_paths();
        if (!dirty.empty())
            throw GitError(fmt::format("{}: the working tree has uncommitted changes ({}{}); commit or discard them first",
                                       ws.dir().string(), dirty.front(), dirty.size() > 1 ? ", ..." : ""));
        repo.set_branch(kBestBranch, *head);
        if (!repo.resolve(std::string("refs/tags/") + kStartTag)) repo.set_tag(kStartTag, *head);
    }
    const std::string head = repo.head_branch();
    if (head.starts_with(kTryPrefix)) {
        if (!o.resume)
            throw GitError(fmt::format("{}: iteration {} was interrupted (HEAD on {}); run `dynosim agent resume`",
                                       ws.dir().string(), head.substr(std::string(kTryPrefix).size()), head));
        if (o.log) o.log(fmt::format("resume: dropping the interrupted iteration on {} and returning to {}", head, kBestBranch));
        repo.checkout_branch(kBestBranch);
    } else {
        const auto dirty = repo.dirty_paths();
        if (!dirty.empty()) {
            std::string list;
            for (std::size_t i = 0; i < dirty.size() && i < 5; ++i) {
                if (i) list += ", ";
                list += dirty[i];
            }
            throw GitError(fmt::format("{}: the working tree has uncommitted changes ({}{}); commit or discard them "
                                       "first (the agent would overwrite them)",
                                       ws.dir().string(), list, dirty.size() > 5 ? ", ..." : ""));
        }
        if (head != kBestBranch) repo.checkout_branch(kBestBranch);
    }
    for (const auto& b : repo.branches(kTryPrefix)) repo.delete_branch(b);
}

void record(Workspace& ws, framework::StudyStorage& db, const HistoryRow& row, const Score* s) {
    append_history(ws.results_tsv(), ws.config().objective_metric, row);
    framework::TrialRecord t;
    t.id = static_cast<std::uint64_t>(row.iteration);
    t.params = {{"commit", row.commit}, {"verdict", row.verdict}, {"description", row.description}};
    t.status = row.verdict == "infeasible" ? "infeasible"
               : (row.verdict == "baseline" || row.verdict == "keep" || row.verdict == "discard") ? "feasible"
                                                                                                   : "failed";
    if (s && s->ok) {
        for (const auto& m : s->metrics)
            for (const auto& [k, v] : m) t.metrics[k] += v / static_cast<double>(s->metrics.size());
        t.objectives = {s->objective};
        t.constraints = s->constraints;
    }
    t.seed = static_cast<std::int64_t>(ws.config().seed);
    t.wall_s = row.build_s + row.eval_s;
    t.error = s && !s->error.empty() ? s->error : (s && !s->broken.empty() ? s->broken : row.description);
    db.put_trial(t);
}

// A proposal may change only policy sources: the files proposer.files lists, or (when it lists none)
// top-level .cpp/.hpp/.h/.c files. Never the config, the scenarios, the program, the build or the headers.
bool policy_source(const AgentConfig& c, const std::string& p) {
    if (!c.mutate_files.empty()) return std::find(c.mutate_files.begin(), c.mutate_files.end(), p) != c.mutate_files.end();
    const fs::path path(p);
    const std::string ext = path.extension().string();
    return !p.empty() && path.filename().string() == p && (ext == ".cpp" || ext == ".hpp" || ext == ".h" || ext == ".c");
}

}  // namespace

Score score_commit(Workspace& ws, const std::string& commit, const std::string& label, const std::vector<RunSpec>& runs) {
    const fs::path root = ws.scratch() / label;
    fs::remove_all(root / "src");
    ws.repo().export_tree(commit, root / "src");
    const BuildResult b = build_plugin({root / "src", root / "build", ws.config().build_timeout_s});
    if (!b.ok) {
        Score s;
        s.error = fmt::format("{} ({}): {}", label, commit.substr(0, 10), b.error);
        return s;
    }
    return evaluate_policy(ws.config(), ws.dir(), b.library, runs);
}

LoopReport run_loop(Workspace& ws, const LoopOptions& o) {
    const AgentConfig& c = ws.config();
    GitRepo& repo = ws.repo();
    auto say = [&](const std::string& s) {
        if (o.log) o.log(s);
    };
    const auto t0 = std::chrono::steady_clock::now();  // the wall-time budget counts from here
    std::vector<HistoryRow> rows = read_history(ws.results_tsv());
    if (!o.resume && !rows.empty())
        throw sim::core::InputError(fmt::format("{}: has {} iteration(s) of history; continue with `dynosim agent resume`",
                                                ws.results_tsv().string(), rows.size()));
    make_clean(ws, o);
    fs::create_directories(ws.scratch());
    framework::StudyStorage db(ws.study_db());
    if (!db.study()) {
        framework::StoredStudy st;
        st.name = "agent:" + ws.dir().filename().string();
        st.source = c.source;
        st.text = c.text;
        st.scenario_text = read_text(ws.dir() / c.train.front().scenario);
        st.optimizer = c.proposer;
        st.seed = c.seed;
        db.create_study(st);
    }

    LoopReport rep;
    rep.start_commit = *repo.resolve(std::string("refs/tags/") + kStartTag);
    // A keep recorded but not yet fast-forwarded (killed between the two): finish it.
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
        if (it->verdict != "keep") continue;
        const std::string best = best_commit(repo);
        if (it->commit != best && repo.is_ancestor(best, it->commit)) {
            say(fmt::format("resume: iteration {} was kept but {} was not moved yet: moving it to {}", it->iteration,
                            kBestBranch, it->commit.substr(0, 10)));
            repo.set_branch(kBestBranch, it->commit);
            repo.set_tag(fmt::format("agent/iter-{}", it->iteration), it->commit);
            repo.checkout_branch(kBestBranch);
        }
        break;
    }

    const fs::path build_dir = ws.scratch() / "build";
    if (rows.empty()) {
        // The loop starts where agent/best is now (a config committed after init included).
        const std::string best = best_commit(repo);
        say(fmt::format("iteration 0: building and scoring the starting policy {}", best.substr(0, 10)));
        repo.set_tag(kStartTag, best);
        rep.start_commit = best;
        const BuildResult b = build_plugin({ws.dir(), build_dir, c.build_timeout_s});
        if (!b.ok) throw sim::core::InputError(fmt::format("{}: the starting policy does not build: {}", ws.dir().string(), b.error));
        const Score s = evaluate_policy(c, ws.dir(), b.library, c.train);
        if (!s.ok) throw sim::core::InputError(fmt::format("{}: the starting policy fails on the training runs: {}", ws.dir().string(), s.error));
        HistoryRow row{0, best, s.objective, s.per_run, "baseline", b.seconds, s.seconds, "starting policy"};
        if (!s.broken.empty()) row.description += " (breaks " + s.broken + ")";
        record(ws, db, row, &s);
        rows.push_back(row);
        say(fmt::format("iteration 0: {} = {:.4f} (baseline)", c.objective_metric, s.objective));
    }
    double incumbent = 0;
    for (const auto& r : rows)
        if ((r.verdict == "baseline" || r.verdict == "keep") && r.objective) incumbent = *r.objective;
    rep.start_objective = rows.front().objective.value_or(0);
    std::int64_t next = rows.back().iteration + 1;
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    std::unique_ptr<Proposer> proposer = make_proposer(c, ws.dir().string());
    rep.stop_reason = fmt::format("iteration budget ({}) reached", c.iterations);
    while (next <= c.iterations) {
        if (c.wall_s > 0 && elapsed() >= c.wall_s) {
            rep.stop_reason = fmt::format("wall-time budget ({} s) reached", c.wall_s);
            break;
        }
        const std::string best = best_commit(repo);
        const std::string branch = fmt::format("{}{}", kTryPrefix, next);
        repo.set_branch(branch, best);
        repo.checkout_branch(branch);
        ProposalContext ctx;
        ctx.iteration = next;
        ctx.program = ws.program();
        ctx.sources = ws.sources();
        ctx.history = history_tail_tsv(ws.results_tsv(), static_cast<std::size_t>(c.history_rows));
        ctx.incumbent = fmt::format("{} = {:.6g} ({}), commit {}", c.objective_metric, incumbent,
                                    c.maximize ? "maximize" : "minimize", best.substr(0, 10));
        for (auto it = rows.rbegin(); it != rows.rend() && it->verdict != "keep" && it->verdict != "baseline"; ++it)
            ctx.tried.push_back(it->description.substr(0, it->description.find(" [")));
        auto drop = [&] {
            repo.checkout_branch(kBestBranch);
            repo.delete_branch(branch);
        };
        Proposal p;
        try {
            p = proposer->propose(ctx);
        } catch (const ProposerError& e) {
            drop();
            throw ProposerError(fmt::format("iteration {}: {} (nothing was changed; `dynosim agent resume` retries it)",
                                            next, e.what()));
        }
        HistoryRow row;
        row.iteration = next;
        row.description = p.description;
        Score s;
        const Score* scored = nullptr;
        std::string apply_error;
        try {
            auto allowed = [&](const std::string& path) { return policy_source(c, path); };
            if (!p.diff.empty()) repo.apply_diff(p.diff, allowed);
            for (const auto& [path, text] : p.files) {
                if (!allowed(path))
                    throw sim::core::InputError(fmt::format("the proposal writes '{}', outside the policy sources", path));
                write_text(ws.dir() / path, text);
            }
        } catch (const std::exception& e) {
            apply_error = e.what();
        }
        if (!apply_error.empty()) {
            row.verdict = "invalid";
            row.description += " [" + apply_error + "]";
        } else if (repo.dirty_paths().empty()) {
            row.verdict = "no_change";
        } else {
            const BuildResult b = build_plugin({ws.dir(), build_dir, c.build_timeout_s});
            row.build_s = b.seconds;
            if (!b.ok) {
                row.verdict = "build_failed";
                row.description += " [" + b.error + "]";
                write_text(ws.scratch() / "logs" / fmt::format("iter-{}-build.log", next), b.log);
            } else {
                s = evaluate_policy(c, ws.dir(), b.library, c.train);
                scored = &s;
                row.eval_s = s.seconds;
                if (!s.ok) {
                    row.verdict = "crashed";
                    row.description += " [" + s.error + "]";
                } else {
                    row.objective = s.objective;
                    row.per_run = s.per_run;
                    if (!s.broken.empty()) {
                        row.verdict = "infeasible";
                        row.description += " [breaks " + s.broken + "]";
                    } else {
                        row.verdict = improves(c, s.objective, incumbent) ? "keep" : "discard";
                    }
                }
            }
        }
        if (row.verdict == "keep") {
            row.commit = repo.commit_all(fmt::format("agent: iteration {}: {}\n\n{} {:.6g} -> {:.6g}\n", next,
                                                     p.description, c.objective_metric, incumbent, s.objective));
            record(ws, db, row, scored);  // recorded before best moves: resume finishes the move
            repo.set_branch(kBestBranch, row.commit);
            repo.set_tag(fmt::format("agent/iter-{}", next), row.commit);
            incumbent = s.objective;
            ++rep.kept;
        } else {
            record(ws, db, row, scored);
        }
        drop();
        say(fmt::format("iteration {}: {:<12} {} {}", next, row.verdict,
                        row.objective ? fmt::format("{:.4f}", *row.objective) : "-", row.description));
        rows.push_back(row);
        ++rep.iterations_run;
        ++next;
    }
    rep.best_commit = best_commit(repo);
    rep.best_objective = incumbent;
    if (o.final_heldout) {
        say(fmt::format("held-out: scoring the start ({}) and the best ({})", rep.start_commit.substr(0, 10),
                        rep.best_commit.substr(0, 10)));
        rep.start_heldout = score_commit(ws, rep.start_commit, "final-start", {c.heldout});
        rep.best_heldout = rep.best_commit == rep.start_commit ? rep.start_heldout
                                                               : score_commit(ws, rep.best_commit, "final-best", {c.heldout});
    }
    return rep;
}

std::string format_report(const Workspace& ws, const LoopReport& r) {
    const AgentConfig& c = ws.config();
    std::string s = fmt::format("stopped: {}; {} iteration(s) run, {} kept\n", r.stop_reason, r.iterations_run, r.kept);
    s += fmt::format("{:<8} {:<10} {:>16} {:>16}\n", "", "commit", "train " + c.objective_metric,
                     "held-out " + c.objective_metric);
    auto held = [](const std::optional<Score>& h) {
        if (!h) return std::string("-");
        if (!h->ok) return std::string("failed");
        return fmt::format("{:.4f}", h->objective);
    };
    s += fmt::format("{:<8} {:<10} {:>16.4f} {:>16}\n", "start", r.start_commit.substr(0, 10), r.start_objective,
                     held(r.start_heldout));
    s += fmt::format("{:<8} {:<10} {:>16.4f} {:>16}\n", "best", r.best_commit.substr(0, 10), r.best_objective,
                     held(r.best_heldout));
    if (r.start_heldout && r.best_heldout && r.start_heldout->ok && r.best_heldout->ok && r.start_heldout->objective != 0)
        s += fmt::format("held-out change: {:+.2f}%\n",
                         100.0 * (r.best_heldout->objective - r.start_heldout->objective) / std::abs(r.start_heldout->objective));
    for (const auto* h : {&r.start_heldout, &r.best_heldout})
        if (*h && !(*h)->ok) s += fmt::format("held-out run failed: {}\n", (*h)->error);
    return s;
}

}  // namespace dynosim::agent
