#include "framework/evaluator.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <sstream>

#include "sim/scenario/scenario.hpp"

namespace dynosim::framework {

namespace sc = sim::scenario;

EvalResult evaluate_trial(const EvaluatorOptions& o, const EvalRequest& r) {
    EvalResult out;
    out.id = r.id;
    const auto start = std::chrono::steady_clock::now();
    try {
        std::vector<std::string> ov = o.base_overrides;
        ov.insert(ov.end(), r.overrides.begin(), r.overrides.end());
        // One scenario per trace (or the scenario's own workload), each checked like any config.
        std::vector<sc::ScenarioOptions> runs;
        if (o.traces.empty()) runs.push_back(sc::load_scenario_text(o.scenario_text, o.scenario_source, ov));
        for (const std::string& trace : o.traces) {
            std::vector<std::string> tov = ov;
            tov.push_back("workload.kind=\"trace\"");
            tov.push_back(fmt::format("workload.path=\"{}\"", trace));
            runs.push_back(sc::load_scenario_text(o.scenario_text, o.scenario_source, tov));
        }
        out.seed = runs.front().sim.seed;
        if (o.before_trial) o.before_trial(r);
        const double n = static_cast<double>(runs.size()) * static_cast<double>(o.replicates);
        for (sc::ScenarioOptions& opts : runs) {
            opts.base_dir = o.base_dir;
            for (std::int64_t rep = 0; rep < o.replicates; ++rep) {
                opts.sim.seed = out.seed + rep;
                const sc::Result res = sc::run_scenario(opts);
                const MetricMap m = summary_metrics(res.summary, o.cost_per_gpu_hour);
                for (const auto& [k, v] : m) out.metrics[k] += v / n;
            }
        }
        out.ok = true;
    } catch (const sc::ConfigError& e) {
        out.error = e.problems().empty() ? e.what() : e.problems().front();
    } catch (const std::exception& e) {
        out.error = e.what();
    }
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

namespace {
// The pipe protocol: "ok <seed>\n" then "name value\n" per metric (%.17g: exact round trip), or
// "error\n<message>".
std::string encode(const EvalResult& r) {
    std::string s;
    if (r.ok) {
        s = fmt::format("ok {}\n", r.seed);
        for (const auto& [k, v] : r.metrics) s += fmt::format("{} {:.17g}\n", k, v);
    } else {
        s = "error\n" + r.error;
    }
    return s;
}

bool decode(const std::string& s, EvalResult& r) {
    std::istringstream in(s);
    std::string head;
    if (!(in >> head)) return false;
    if (head == "error") {
        std::getline(in, head);
        std::ostringstream rest;
        rest << in.rdbuf();
        r.ok = false;
        r.error = rest.str();
        return true;
    }
    if (head != "ok" || !(in >> r.seed)) return false;
    std::string k, v;
    while (in >> k >> v) r.metrics[k] = std::strtod(v.c_str(), nullptr);
    r.ok = true;
    return true;
}

void write_all(int fd, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
    }
}
}  // namespace

std::string encode_result(const EvalResult& r) { return encode(r); }
bool decode_result(const std::string& s, EvalResult& r) { return decode(s, r); }
std::mutex& fork_mutex() {
    static std::mutex m;
    return m;
}

EvalResult evaluate_trial_forked(const EvaluatorOptions& o, const EvalRequest& r) {
    EvalResult out;
    out.id = r.id;
    const auto start = std::chrono::steady_clock::now();
    int fds[2];
    pid_t pid = -1;
    {
        std::lock_guard lk(fork_mutex());
        if (::pipe(fds) != 0) {
            out.error = fmt::format("pipe failed: {}", std::strerror(errno));
            return out;
        }
        pid = ::fork();
        if (pid < 0) {
            ::close(fds[0]);
            ::close(fds[1]);
            out.error = fmt::format("fork failed: {}", std::strerror(errno));
            return out;
        }
        if (pid == 0) {
            ::close(fds[0]);
            // A crash must end the child with its signal, not run handlers the parent installed.
            for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, SIG_DFL);
            const EvalResult res = evaluate_trial(o, r);
            write_all(fds[1], encode(res));
            ::close(fds[1]);
            ::_exit(0);  // skip atexit handlers and static destructors that belong to the parent
        }
        ::close(fds[1]);
    }
    std::string data;
    char buf[8192];
    bool timed_out = false;
    while (true) {
        int wait_ms = -1;
        if (o.trial_timeout_s > 0) {
            const double left = o.trial_timeout_s -
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (left <= 0) {
                timed_out = true;
                break;
            }
            wait_ms = static_cast<int>(left * 1000) + 1;
        }
        pollfd p{fds[0], POLLIN, 0};
        const int pr = ::poll(&p, 1, wait_ms);
        if (pr < 0 && errno == EINTR) continue;
        if (pr == 0) continue;  // loop re-checks the deadline
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        data.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (timed_out) {
        out.error = fmt::format("trial timed out after {} s (study.trial_timeout_s); its process was killed", o.trial_timeout_s);
        return out;
    }
    if (WIFSIGNALED(status)) {
        out.error = fmt::format("trial process killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
        return out;
    }
    if (!decode(data, out)) out.error = "trial process exited without a result";
    out.id = r.id;
    return out;
}

Evaluator::Evaluator(EvaluatorOptions o) : options_(std::move(o)) {
    for (std::size_t i = 0; i < std::max<std::size_t>(options_.threads, 1); ++i)
        threads_.emplace_back([this, i] { work(i); });
}

Evaluator::~Evaluator() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void Evaluator::submit(EvalRequest r) {
    {
        std::lock_guard lk(mu_);
        queue_.push_back(std::move(r));
        ++in_flight_;
    }
    work_cv_.notify_one();
}

EvalResult Evaluator::wait() {
    std::unique_lock lk(mu_);
    done_cv_.wait(lk, [&] { return !done_.empty(); });
    EvalResult r = std::move(done_.front());
    done_.pop_front();
    --in_flight_;
    return r;
}

std::size_t Evaluator::in_flight() const {
    std::lock_guard lk(mu_);
    return in_flight_;
}

void Evaluator::work(std::size_t slot) {
    while (true) {
        EvalRequest r;
        {
            std::unique_lock lk(mu_);
            work_cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            r = std::move(queue_.front());
            queue_.pop_front();
        }
        EvalResult res = options_.remote               ? options_.remote(r, slot)
                         : options_.process_isolation ? evaluate_trial_forked(options_, r)
                                                      : evaluate_trial(options_, r);
        {
            std::lock_guard lk(mu_);
            done_.push_back(std::move(res));
        }
        done_cv_.notify_all();
    }
}

}  // namespace dynosim::framework
