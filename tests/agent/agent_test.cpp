// The agent loop on temporary workspaces: a tiny router whose variants an external-command proposer (a
// shell script) hands out per iteration, and the built-in mutator. Each workspace builds its policy with
// cmake, so these tests take seconds each.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "agent/builder.hpp"
#include "agent/config.hpp"
#include "agent/history.hpp"
#include "agent/loop.hpp"
#include "agent/mutator.hpp"
#include "agent/process.hpp"
#include "agent/proposer.hpp"
#include "sim/scenario/config.hpp"
#include "test_support.hpp"

namespace ag = dynosim::agent;
namespace fs = std::filesystem;
using dynosim::test::read_file;
using dynosim::test::write_file;

namespace {

// cost per worker, lowest wins; the start sends everything to worker 0.
std::string policy(const std::string& cost, const std::string& extra = "") {
    return "// Agent test router: the worker with the lowest cost.\n"
           "#include \"dynosim_plugin.hpp\"\n"
           "struct Pick {\n"
           "    explicit Pick(const dynosim_plugin::Context&) {}\n"
           "    std::uint32_t choose(const dynosim_plugin::RouterView& v) {\n"
           "        std::uint32_t best = 0;\n"
           "        double best_cost = 1e300;\n"
           "        for (std::uint32_t i = 0; i < v.size(); ++i) {\n"
           "            const ds_worker_view& w = v.worker(i);\n" +
           extra +
           "            // agent:begin\n"
           "            const double cost = " + cost + ";\n"
           "            // agent:end\n"
           "            if (cost < best_cost) {\n"
           "                best_cost = cost;\n"
           "                best = i;\n"
           "            }\n"
           "        }\n"
           "        return best;\n"
           "    }\n"
           "};\n"
           "DYNOSIM_PLUGIN(Pick, \"pick\", \"1.0\", \"agent test router\")\n";
}
const std::string kStart = "0.0 * (w.running + w.waiting) + 1.0 * i";
const std::string kBetter = "1.0 * (w.running + w.waiting) + 0.001 * i";

const char* kScenario = R"(fleet.workers = 4
engine.num_gpu_blocks_override = 1200
[workload]
kind = "generator"
[workload.generator]
num_requests = 300
arrival.rate = 30
input = { kind = "lognormal", mean = 1000, cv = 1.0, min = 64, max = 6000 }
output = { kind = "lognormal", mean = 120, cv = 1.0, min = 1, max = 600 }
)";

std::string agent_toml(std::int64_t iterations, const std::string& proposer, const std::string& extra = "") {
    return "[plugin]\nkind = \"router\"\nkv_indexer = false\n"
           "[objective]\nmetric = \"ttft.p90\"\ndirection = \"minimize\"\n"
           "[[train]]\nscenario = \"scenario.toml\"\n"
           "[heldout]\nscenario = \"scenario.toml\"\nset = [\"sim.seed=7\"]\n"
           "[budget]\niterations = " + std::to_string(iterations) + "\n"
           "[noise]\nmargin = 0.01\n" + proposer + "\n[build]\ntimeout_s = 240\n" + extra;
}

// A workspace made by `agent init` from a policy folder holding policy(kStart); agent.toml replaced and
// committed. `variants`: per iteration N, the whole policy.cpp the script proposer answers (absent: exit 0
// with nothing -> the proposer errors).
struct Fixture {
    fs::path root, ws, variants;
    explicit Fixture(const std::string& name, std::int64_t iterations = 4, const std::string& proposer = "",
                     const std::string& extra = "") {
        root = dynosim::test::temp_dir("agent-" + name);
        fs::create_directories(root / "policy");
        write_file(root / "policy" / "policy.cpp", policy(kStart));
        write_file(root / "scenario.toml", kScenario);
        variants = root / "variants";
        fs::create_directories(variants);
        write_file(root / "propose.sh",
                   "#!/bin/sh\n"
                   "# answers iteration N with variants/N.cpp as a whole file\n"
                   "N=$DYNOSIM_AGENT_ITERATION\n"
                   "cat > /dev/null\n"
                   "if [ -f " + variants.string() + "/$N.sh ]; then . " + variants.string() + "/$N.sh; fi\n"
                   "echo \"variant $N\"\n"
                   "echo \"=== FILE: policy.cpp ===\"\n"
                   "cat " + variants.string() + "/$N.cpp\n"
                   "echo \"=== END ===\"\n");
        ws = root / "ws";
        ag::InitOptions o;
        o.from = root / "policy";
        o.dir = ws;
        o.scenario = root / "scenario.toml";
        o.source_root = dynosim::test::source_dir();
        ag::init_workspace(o);
        const std::string prop = proposer.empty()
                                     ? "[proposer]\nkind = \"command\"\ncommand = \"sh " + (root / "propose.sh").string() +
                                           "\"\ntimeout_s = 30\n"
                                     : proposer;
        write_file(ws / "agent.toml", agent_toml(iterations, prop, extra));
        auto repo = ag::GitRepo::open(ws);
        const std::string c = repo.commit_all("test config");
        repo.set_branch(ag::kBestBranch, c);
        repo.set_tag(ag::kStartTag, c);
    }
    void variant(int n, const std::string& text) { write_file(variants / (std::to_string(n) + ".cpp"), text); }
    ag::LoopReport run(bool resume = false, bool heldout = false) {
        ag::Workspace w = ag::Workspace::open(ws);
        ag::LoopOptions o;
        o.resume = resume;
        o.final_heldout = heldout;
        return ag::run_loop(w, o);
    }
    std::vector<ag::HistoryRow> history() const { return ag::read_history(ws / "results.tsv"); }
};

std::vector<std::string> verdicts(const std::vector<ag::HistoryRow>& rows) {
    std::vector<std::string> v;
    for (const auto& r : rows) v.push_back(r.verdict);
    return v;
}

}  // namespace

TEST_CASE("an improving change is committed and becomes best while worse and broken and crashing ones leave no trace",
          "[agent]") {
    Fixture f("verdicts", 5);
    // Iteration 1 answers with a plain unified diff (as `diff -u` or an LLM writes it).
    write_file(f.variants / "1.diff", "--- a/policy.cpp\n+++ b/policy.cpp\n@@ -11 +11 @@\n-            const double cost = " +
                                          kStart + ";\n+            const double cost = " + kBetter + ";\n");
    write_file(f.variants / "1.sh", "echo 'balance the load'; cat " + (f.variants / "1.diff").string() + "; exit 0\n");
    f.variant(2, policy(kStart));  // worse than the new best
    f.variant(3, policy("undefined_name * 2.0"));
    f.variant(4, policy(kBetter, "            if (v.request().id == 5) { int* volatile p = nullptr; *p = 1; }\n"));
    // Iteration 5 tries to make the scenario easier instead of the policy better.
    write_file(f.variants / "5.sh", "echo 'more workers'; echo '=== FILE: scenario.toml ==='; echo 'fleet.workers = 64'; "
                                    "echo '=== END ==='; exit 0\n");
    const std::string scenario = read_file(f.ws / "scenario.toml");
    const ag::LoopReport rep = f.run(false, true);
    const auto rows = f.history();
    CHECK(verdicts(rows) ==
          std::vector<std::string>{"baseline", "keep", "discard", "build_failed", "crashed", "invalid"});
    CHECK(rows[5].description.find("'scenario.toml', outside the policy sources") != std::string::npos);
    CHECK(read_file(f.ws / "scenario.toml") == scenario);
    CHECK(rows[1].description == "balance the load");
    REQUIRE(rows[1].objective);
    CHECK(*rows[1].objective < *rows[0].objective * 0.9);
    CHECK(rows[3].description.find("build failed") != std::string::npos);
    CHECK(rows[4].description.find("signal 11") != std::string::npos);
    CHECK(rep.kept == 1);
    CHECK(rep.best_objective == Approx(*rows[1].objective));

    auto repo = ag::GitRepo::open(f.ws);
    const std::string best = *repo.resolve("refs/heads/agent/best");
    CHECK(best == rows[1].commit);
    CHECK(repo.resolve("refs/tags/agent/iter-1") == best);
    CHECK_FALSE(repo.resolve("refs/tags/agent/iter-2"));
    CHECK(repo.head_branch() == "agent/best");
    CHECK(repo.dirty_paths().empty());
    CHECK(repo.branches("agent/try-").empty());
    CHECK(read_file(f.ws / "policy.cpp") == policy(kBetter));
    // The held-out run judges both ends from their own commits.
    REQUIRE(rep.start_heldout);
    REQUIRE(rep.best_heldout);
    CHECK(rep.best_heldout->objective < rep.start_heldout->objective);
    CHECK(ag::format_report(ag::Workspace::open(f.ws), rep).find("held-out") != std::string::npos);
    // The study database holds the same iterations.
    CHECK(fs::exists(f.ws / "agent.sqlite"));
}

TEST_CASE("a proposer that fails or times out stops the loop with its reason and loses nothing", "[agent]") {
    Fixture f("proposer-fails", 3);
    f.variant(1, policy(kBetter));
    write_file(f.variants / "2.sh", "echo 'rate limited' >&2; exit 3\n");
    REQUIRE_THROWS_WITH(f.run(), Catch::Contains("exit status 3") && Catch::Contains("iteration 2"));
    CHECK(verdicts(f.history()) == std::vector<std::string>{"baseline", "keep"});
    auto repo = ag::GitRepo::open(f.ws);
    CHECK(repo.head_branch() == "agent/best");
    CHECK(repo.dirty_paths().empty());
    CHECK(repo.branches("agent/try-").empty());

    write_file(f.variants / "2.sh", "sleep 20\n");
    {
        // timeout_s = 30 in the config: rewrite it to half a second
        std::string cfg = read_file(f.ws / "agent.toml");
        cfg.replace(cfg.find("timeout_s = 30"), 14, "timeout_s = 0.5");
        write_file(f.ws / "agent.toml", cfg);
        repo.commit_all("shorter proposer timeout");
    }
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE_THROWS_WITH(f.run(true), Catch::Contains("timed out"));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(15));
    CHECK(f.history().size() == 2);
    CHECK(repo.dirty_paths().empty());
}

TEST_CASE("a kill in the middle of an iteration resumes to a clean repository on the best commit", "[agent]") {
    Fixture f("kill", 3);
    f.variant(1, policy(kBetter));
    f.variant(2, policy("2.0 * (w.running + w.waiting) + 0.001 * i"));
    f.variant(3, policy(kStart));
    // Iteration 2, first time: leave a half-applied change in the working tree, then hang until killed.
    const fs::path marker = f.root / "killed-once";
    write_file(f.variants / "2.sh", "if [ ! -f " + marker.string() + " ]; then echo broken >> " +
                                        (f.ws / "policy.cpp").string() + "; echo $$ > " + marker.string() +
                                        "; exec sleep 60; fi\n");
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::execl(DYNOSIM_CLI, DYNOSIM_CLI, "agent", "run", "--no-heldout", f.ws.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    const auto t0 = std::chrono::steady_clock::now();
    while (read_file(marker).empty() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string proposer_pid = read_file(marker);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE_FALSE(proposer_pid.empty());
    const pid_t ppid = static_cast<pid_t>(std::stol(proposer_pid));
    ::kill(-::getpgid(ppid), SIGKILL);  // the orphaned proposer's group

    {
        auto repo = ag::GitRepo::open(f.ws);
        CHECK(repo.head_branch() == "agent/try-2");
        CHECK_FALSE(repo.dirty_paths().empty());
    }
    // `run` refuses an interrupted workspace; `resume` cleans it and finishes the budget.
    REQUIRE_THROWS_WITH(f.run(false), Catch::Contains("resume"));
    f.run(true);
    const auto rows = f.history();
    CHECK(verdicts(rows) == std::vector<std::string>{"baseline", "keep", "discard", "discard"});
    auto repo = ag::GitRepo::open(f.ws);
    CHECK(repo.head_branch() == "agent/best");
    CHECK(repo.dirty_paths().empty());
    CHECK(repo.branches("agent/try-").empty());
    CHECK(*repo.resolve("refs/heads/agent/best") == rows[1].commit);
    CHECK(read_file(f.ws / "policy.cpp") == policy(kBetter));
    const auto log = dynosim::test::run_cli("agent log " + f.ws.string());
    CHECK(log.exit_code == 0);
    CHECK(log.output.find("3 iteration(s) after the baseline, 1 kept") != std::string::npos);
    CHECK(log.output.find("variant 2") != std::string::npos);

    // Killed after a keep was recorded but before agent/best moved: resume finishes the move.
    repo.set_branch("agent/best", rows[0].commit);
    repo.checkout_branch("agent/best");
    f.run(true);
    CHECK(*repo.resolve("refs/heads/agent/best") == rows[1].commit);
    CHECK(read_file(f.ws / "policy.cpp") == policy(kBetter));
    CHECK(f.history().size() == rows.size());
}

TEST_CASE("the built-in mutator runs the loop to its iteration budget and resume then has nothing left", "[agent]") {
    Fixture f("budget", 2, "[proposer]\nkind = \"mutator\"\n");
    const ag::LoopReport rep = f.run();
    CHECK(rep.iterations_run == 2);
    CHECK(rep.stop_reason.find("iteration budget") != std::string::npos);
    const auto rows = f.history();
    REQUIRE(rows.size() == 3);
    for (std::size_t i = 1; i < rows.size(); ++i) CHECK(rows[i].description.find("policy.cpp:") != std::string::npos);
    const ag::LoopReport again = f.run(true);
    CHECK(again.iterations_run == 0);
    CHECK(f.history().size() == 3);

    // A larger iteration budget with a wall-time budget already spent (1 ns: opening the workspace takes
    // longer on any machine): resume stops before iterating.
    std::string cfg = read_file(f.ws / "agent.toml");
    cfg.replace(cfg.find("iterations = 2"), 14, "iterations = 50\nwall_s = 1e-9");
    write_file(f.ws / "agent.toml", cfg);
    ag::GitRepo::open(f.ws).commit_all("more iterations, tiny wall budget");
    const ag::LoopReport wall = f.run(true);
    CHECK(wall.stop_reason.find("wall-time budget") != std::string::npos);
    CHECK(wall.iterations_run == 0);
    CHECK(f.history().size() == 3);
}

TEST_CASE("a workspace that is not a repository or is dirty or lacks its program file is refused", "[agent]") {
    const fs::path plain = dynosim::test::temp_dir("agent-plain");
    write_file(plain / "agent.toml", agent_toml(1, ""));
    REQUIRE_THROWS_WITH(ag::Workspace::open(plain), Catch::Contains("not a git repository"));

    Fixture f("dirty", 1, "[proposer]\nkind = \"mutator\"\n");
    write_file(f.ws / "policy.cpp", policy(kBetter));
    write_file(f.ws / "notes.txt", "mine\n");
    REQUIRE_THROWS_WITH(f.run(), Catch::Contains("uncommitted changes") && Catch::Contains("policy.cpp"));
    CHECK(read_file(f.ws / "policy.cpp") == policy(kBetter));  // nothing overwritten
    CHECK(read_file(f.ws / "notes.txt") == "mine\n");
    CHECK_FALSE(fs::exists(f.ws / "results.tsv"));

    fs::remove(f.ws / "program.md");
    REQUIRE_THROWS_WITH(ag::Workspace::open(f.ws), Catch::Contains("program.md") && Catch::Contains("does not exist"));
}

TEST_CASE("agent.toml errors name the file and line and key", "[agent]") {
    const std::string text = "[objective]\nmetric = \"ttft.p90\"\n[budget]\niterations = 0\n[noise]\nmargin = 2\n"
                             "[[train]]\nscenario = \"s.toml\"\n[heldout]\nscenario = \"s.toml\"\nbogus = 1\n";
    try {
        ag::parse_agent_config(text, "agent.toml");
        FAIL("no error");
    } catch (const dynosim::sim::scenario::ConfigError& e) {
        std::string all;
        for (const auto& p : e.problems()) all += p + "\n";
        CHECK(all.find("agent.toml:4: budget.iterations = 0: must be >= 1") != std::string::npos);
        CHECK(all.find("agent.toml:6: noise.margin = 2: must be in [0, 1)") != std::string::npos);
        CHECK(all.find("agent.toml:11: heldout.bogus: unknown key") != std::string::npos);
    }
}

TEST_CASE("the mutator edits only marked code and deterministically per seed and iteration", "[agent]") {
    const std::string src = "int f(int a, int b) {\n"
                            "    const char* s = \"3 < 4\";  // 5 > 6\n"
                            "    int x = 7;\n"
                            "    // agent:begin\n"
                            "    double y = 0.5 * a + 2 * b;  /* 9 */\n"
                            "    bool c = a < b;\n"
                            "    int m = std::min(a, b);\n"
                            "    double d = y - x;\n"
                            "    // agent:end\n"
                            "    return x + 8;\n"
                            "}\n";
    const std::map<std::string, std::string> sources{{"p.cpp", src}};
    const auto sites = ag::find_mutation_sites(sources);
    // 0.5, 2, <, min, y - x
    REQUIRE(sites.size() == 5);
    for (const auto& s : sites) {
        CHECK(s.line >= 5);
        CHECK(s.line <= 8);
    }
    ag::ProposalContext c;
    c.sources = sources;
    std::set<std::string> kinds;
    for (std::int64_t i = 1; i <= 60; ++i) {
        c.iteration = i;
        const ag::Proposal a = ag::Mutator(11).propose(c), b = ag::Mutator(11).propose(c);
        CHECK(a.files == b.files);
        CHECK(a.description == b.description);
        const std::string& out = a.files.at("p.cpp");
        CHECK(out != src);
        CHECK(out.find("\"3 < 4\";  // 5 > 6\n    int x = 7;") != std::string::npos);
        CHECK(out.find("return x + 8;") != std::string::npos);
        kinds.insert(a.description.substr(0, a.description.find(' ')));
    }
    CHECK(kinds == std::set<std::string>{"perturb", "flip", "swap"});
    c.iteration = 1;
    CHECK(ag::Mutator(11).propose(c).files != ag::Mutator(12).propose(c).files);
    c.sources = {{"p.cpp", "// agent:begin\n// agent:end\nint x = 1;\n"}};
    CHECK_THROWS_WITH(ag::Mutator(1).propose(c), Catch::Contains("agent:begin"));
}

TEST_CASE("a proposer answer is a unified diff or whole files and anything else is an error", "[agent]") {
    const ag::Proposal d = ag::parse_proposal("raise the weight\ndiff --git a/p.cpp b/p.cpp\n--- a/p.cpp\n+++ b/p.cpp\n");
    CHECK(d.description == "raise the weight");
    CHECK(d.diff.starts_with("diff --git"));
    const ag::Proposal w = ag::parse_proposal("=== FILE: p.cpp ===\nint x;\n=== END ===\n");
    CHECK(w.files.at("p.cpp") == "int x;\n");
    CHECK_THROWS_WITH(ag::parse_proposal("I think you should try harder"), Catch::Contains("neither a unified diff"));
    CHECK_THROWS_WITH(ag::parse_proposal("=== FILE: p.cpp ===\nint x;\n"), Catch::Contains("END"));
}

TEST_CASE("a unified diff from the proposer is applied through libgit2", "[agent]") {
    const fs::path dir = dynosim::test::temp_dir("agent-diff");
    auto repo = ag::GitRepo::init(dir, "main");
    write_file(dir / "p.cpp", "int a = 1;\nint b = 2;\nint c = 3;\n");
    repo.commit_all("start");
    repo.apply_diff("--- a/p.cpp\n+++ b/p.cpp\n@@ -1,3 +1,3 @@\n int a = 1;\n-int b = 2;\n+int b = 20;\n int c = 3;\n");
    CHECK(read_file(dir / "p.cpp") == "int a = 1;\nint b = 20;\nint c = 3;\n");
    CHECK(repo.dirty_paths() == std::vector<std::string>{"p.cpp"});
    CHECK_THROWS_WITH(repo.apply_diff("--- a/p.cpp\n+++ b/p.cpp\n@@ -1,1 +1,1 @@\n-int zzz;\n+int y;\n"),
                      Catch::Contains("does not apply"));
    CHECK(read_file(dir / "p.cpp") == "int a = 1;\nint b = 20;\nint c = 3;\n");
    write_file(dir / "agent.toml", "x = 1\n");
    repo.commit_all("config");
    CHECK_THROWS_WITH(repo.apply_diff("--- a/agent.toml\n+++ b/agent.toml\n@@ -1 +1 @@\n-x = 1\n+x = 2\n",
                                      [](const std::string& p) { return p != "agent.toml"; }),
                      Catch::Contains("'agent.toml', outside the policy sources"));
    CHECK(read_file(dir / "agent.toml") == "x = 1\n");
}

TEST_CASE("a command that runs past its timeout is killed with its whole process group", "[agent]") {
    ag::ProcessOptions o;
    o.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30; echo never"};
    o.timeout_s = 0.3;
    const auto t0 = std::chrono::steady_clock::now();
    const ag::ProcessResult r = ag::run_process(o);
    CHECK(r.timed_out);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    CHECK(r.describe(0.3).find("timed out") != std::string::npos);
    o.argv = {"/bin/sh", "-c", "cat; exit 4"};
    o.stdin_text = "hello";
    o.timeout_s = 10;
    const ag::ProcessResult e = ag::run_process(o);
    CHECK(e.output == "hello");
    CHECK(e.exit_code == 4);
}

TEST_CASE("agent init makes a self-contained workspace from a shipped cache policy", "[agent]") {
    const fs::path root = dynosim::test::temp_dir("agent-init");
    const auto r = dynosim::test::run_cli("agent init --from " + (dynosim::test::source_dir() / "policies" / "lru").string() +
                                          " " + (root / "ws").string());
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("cache_policy policy") != std::string::npos);
    for (const char* f : {"lru.cpp", "include/dynosim_plugin.h", "include/dynosim_plugin.hpp", "CMakeLists.txt",
                          "program.md", "agent.toml", "scenario.toml", ".gitignore"})
        CHECK(fs::exists(root / "ws" / f));
    const ag::Workspace ws = ag::Workspace::open(root / "ws");
    CHECK(ws.config().plugin_kind == "cache_policy");
    CHECK(ws.config().objective_metric == "ttft.p90");
    auto repo = ag::GitRepo::open(root / "ws");
    CHECK(repo.head_branch() == "agent/best");
    CHECK(repo.resolve("refs/tags/agent/start") == repo.head_commit());
    CHECK(repo.dirty_paths().empty());
    // The copy builds on its own.
    const ag::BuildResult b = ag::build_plugin({root / "ws", root / "build", 240});
    CHECK(b.ok);
    CHECK(fs::exists(b.library));
    // A second init into a non-empty folder and a folder that is not a policy are refused.
    CHECK(dynosim::test::run_cli("agent init --from policies/lru " + (root / "ws").string()).output.find(
              "not an empty folder") != std::string::npos);
    const auto bad = dynosim::test::run_cli("agent init --from " + root.string() + " " + (root / "ws2").string());
    CHECK(bad.exit_code != 0);
    CHECK(bad.output.find("no .cpp/.hpp/.h policy sources") != std::string::npos);
}

TEST_CASE("the example agent config parses and the example LLM wrapper hands a client answer back", "[agent]") {
    const ag::AgentConfig c =
        ag::load_agent_config(dynosim::test::source_dir() / "examples" / "agent-router" / "agent.toml");
    CHECK(c.train.size() == 2);
    CHECK(c.constraints.size() == 1);
    // A stand-in for an LLM client: reads the prompt, answers in a code fence (as chat models do).
    const fs::path root = dynosim::test::temp_dir("agent-llm");
    write_file(root / "client.sh", "grep -q '=== FILE: p.cpp ===' || exit 9\n"
                                   "printf '```\\nuse fewer blocks\\n=== FILE: p.cpp ===\\nint x = 2;\\n=== END ===\\n```\\n'\n");
    ag::CommandProposer p("LLM_CMD='sh " + (root / "client.sh").string() + "' sh " +
                              (dynosim::test::source_dir() / "examples" / "agent-router" / "llm_proposer.sh").string(),
                          root.string(), 30);
    ag::ProposalContext ctx;
    ctx.iteration = 1;
    ctx.sources = {{"p.cpp", "int x = 1;\n"}};
    const ag::Proposal got = p.propose(ctx);
    CHECK(got.description == "use fewer blocks");
    CHECK(got.files.at("p.cpp") == "int x = 2;\n");
}
