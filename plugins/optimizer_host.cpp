#include "plugins/optimizer_host.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>

#include "framework/evaluator.hpp"
#include "plugins/adapters.hpp"

namespace dynosim::plugins {

namespace {

// One line per message; a message's own newlines become spaces.
std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

// send() with MSG_NOSIGNAL: a server that died makes this fail with EPIPE instead of raising SIGPIPE, which
// would end the study's own process.
bool write_all(int fd, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads up to a newline into `line` (buffered in `buf`); false on EOF/error or when `deadline_ms` (< 0 =
// none) passes (then *timed_out).
bool read_line(int fd, std::string& buf, std::string& line, double timeout_s, bool* timed_out) {
    const auto start = std::chrono::steady_clock::now();
    while (true) {
        if (const auto nl = buf.find('\n'); nl != std::string::npos) {
            line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            return true;
        }
        int wait_ms = -1;
        if (timeout_s > 0) {
            const double left = timeout_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (left <= 0) {
                if (timed_out) *timed_out = true;
                return false;
            }
            wait_ms = static_cast<int>(left * 1000) + 1;
        }
        pollfd p{fd, POLLIN, 0};
        const int pr = ::poll(&p, 1, wait_ms);
        if (pr < 0 && errno == EINTR) continue;
        if (pr == 0) continue;
        char tmp[4096];
        const ssize_t n = ::read(fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buf.append(tmp, static_cast<std::size_t>(n));
    }
}

std::string numbers(const std::vector<double>& v) {
    std::string s = std::to_string(v.size());
    for (double d : v) s += fmt::format(" {:.17g}", d);
    return s;
}

std::vector<double> read_numbers(std::istream& in) {
    std::size_t n = 0;
    in >> n;
    std::vector<double> v(n);
    for (double& d : v) {
        std::string tok;
        in >> tok;
        d = std::strtod(tok.c_str(), nullptr);  // "nan", "inf" included
    }
    return v;
}

// The server loop, in the child: one PluginOptimizer, commands "hello", "ask", "tell ...", answers on the same socket.
[[noreturn]] void serve(int in_fd, int out_fd, const std::filesystem::path& path, const optimizers::Problem& p,
                        const optimizers::OptionMap& options) {
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, SIG_DFL);
    std::optional<PluginOptimizer> opt;
    std::string buf, line;
    while (read_line(in_fd, buf, line, 0, nullptr)) {
        std::string reply;
        try {
            if (line == "hello") {
                opt.emplace(load_library(path, DS_KIND_OPTIMIZER, "optimizer.plugin"), p, options);
                reply = fmt::format("ready {} {}", opt->supports_pending() ? 1 : 0, opt->name());
            } else if (line == "ask") {
                try {
                    const auto x = opt->ask();
                    reply = x ? "point " + numbers(*x) : "none";
                } catch (const optimizers::ProposalError& e) {
                    reply = "bad " + numbers(e.point()) + " " + one_line(e.what());
                }
            } else if (line.rfind("tell ", 0) == 0) {
                std::istringstream in(line.substr(5));
                optimizers::Trial t;
                int status = 0;
                in >> t.id >> status;
                t.status = static_cast<optimizers::TrialStatus>(status);
                t.x = read_numbers(in);
                t.objectives = read_numbers(in);
                t.constraints = read_numbers(in);
                opt->tell(t);
                reply = "ok";
            } else {
                reply = "error unknown command";
            }
        } catch (const std::exception& e) {
            reply = "error " + one_line(e.what());
        }
        if (!write_all(out_fd, reply + "\n")) break;
    }
    ::_exit(0);  // no atexit handlers or static destructors of the parent
}

}  // namespace

struct IsolatedPluginOptimizer::Server {
    pid_t pid = -1;
    int fd = -1;
    std::string buf;
    ~Server() { stop(); }
    void stop() {
        if (fd >= 0) ::close(fd);
        fd = -1;
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
        pid = -1;
    }
};

IsolatedPluginOptimizer::IsolatedPluginOptimizer(const std::filesystem::path& path, const optimizers::Problem& p,
                                                 const optimizers::OptionMap& options, double timeout_s)
    : path_(path), problem_(p), options_(options), timeout_s_(timeout_s) {
    // Version, kind and parameter errors from this process, with the loader's own messages.
    (void)PluginOptimizer(load_library(path_, DS_KIND_OPTIMIZER, "optimizer.plugin"), problem_, options_);
    start();
    if (!failure_.empty()) throw PluginError(failure_);
}

IsolatedPluginOptimizer::IsolatedPluginOptimizer(const IsolatedPluginOptimizer& o)
    : path_(o.path_), problem_(o.problem_), options_(o.options_), timeout_s_(o.timeout_s_), name_(o.name_),
      supports_pending_(o.supports_pending_), failure_(o.failure_), reported_(o.reported_) {
    if (!failure_.empty()) return;
    start();
    for (const std::string& cmd : o.history_) {
        if (!call(cmd)) return;
        history_.push_back(cmd);
    }
}

IsolatedPluginOptimizer::~IsolatedPluginOptimizer() = default;

int IsolatedPluginOptimizer::server_pid() const { return server_ && server_->pid > 0 ? server_->pid : -1; }

void IsolatedPluginOptimizer::start() {
    // One stream socket pair: commands down, answers up (sockets, so that writes can refuse SIGPIPE).
    int sv[2];
    pid_t pid = -1;
    {
        std::lock_guard lk(framework::fork_mutex());  // no other fork between socketpair and close(sv[1])
        if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
            throw PluginError(fmt::format("optimizer plugin: socketpair failed: {}", std::strerror(errno)));
        pid = ::fork();
        if (pid < 0) {
            ::close(sv[0]);
            ::close(sv[1]);
            throw PluginError(fmt::format("optimizer plugin: fork failed: {}", std::strerror(errno)));
        }
        if (pid == 0) {
            ::close(sv[0]);
            serve(sv[1], sv[1], path_, problem_, options_);
        }
        ::close(sv[1]);
    }
    server_ = std::make_unique<Server>();
    server_->pid = pid;
    server_->fd = sv[0];
    const auto hello = call("hello");
    if (!hello) return;
    if (hello->rfind("ready ", 0) != 0) {
        failure_ = fmt::format("optimizer plugin {}: {}", path_.string(), hello->rfind("error ", 0) == 0 ? hello->substr(6) : *hello);
        server_->stop();
        return;
    }
    std::istringstream in(hello->substr(6));
    int pending = 0;
    in >> pending >> name_;
    supports_pending_ = pending != 0;
}

std::optional<std::string> IsolatedPluginOptimizer::call(const std::string& line) {
    if (!server_ || server_->pid <= 0) return std::nullopt;
    std::string answer;
    bool timed_out = false;
    const bool ok = write_all(server_->fd, line + "\n") &&
                    read_line(server_->fd, server_->buf, answer, timeout_s_, &timed_out);
    if (ok) return answer;
    const std::string what = line.substr(0, line.find(' '));
    if (timed_out) {
        failure_ = fmt::format("optimizer plugin {} ({}): {} timed out after {} s (study.trial_timeout_s); its "
                               "process was killed", name_, path_.string(), what, timeout_s_);
        server_->stop();
        return std::nullopt;
    }
    ::close(server_->fd);
    server_->fd = -1;
    int status = 0;
    while (::waitpid(server_->pid, &status, 0) < 0 && errno == EINTR) {
    }
    server_->pid = -1;
    server_->stop();
    failure_ = WIFSIGNALED(status)
                   ? fmt::format("optimizer plugin {} ({}): its process was killed by signal {} ({}) in {}", name_,
                                 path_.string(), WTERMSIG(status), strsignal(WTERMSIG(status)), what)
                   : fmt::format("optimizer plugin {} ({}): its process exited in {}", name_, path_.string(), what);
    return std::nullopt;
}

std::optional<optimizers::Point> IsolatedPluginOptimizer::ask() {
    if (!failure_.empty()) {
        if (reported_) return std::nullopt;  // the plugin is gone: nothing more to propose
        reported_ = true;
        throw optimizers::ProposalError(failure_, problem_.space.canonical(optimizers::Point(problem_.space.size(), NAN)));
    }
    const auto answer = call("ask");
    if (!answer) {
        reported_ = true;
        throw optimizers::ProposalError(failure_, problem_.space.canonical(optimizers::Point(problem_.space.size(), NAN)));
    }
    history_.push_back("ask");
    std::istringstream in(*answer);
    std::string head;
    in >> head;
    if (head == "none") return std::nullopt;
    if (head == "point") return problem_.space.canonical(read_numbers(in));
    if (head == "bad") {
        optimizers::Point x = read_numbers(in);
        std::string why;
        std::getline(in, why);
        throw optimizers::ProposalError(why.empty() ? why : why.substr(1), std::move(x));
    }
    throw optimizers::ProposalError(fmt::format("optimizer plugin {}: ask: {}", name_,
                                                head == "error" ? answer->substr(6) : *answer),
                                    problem_.space.canonical(optimizers::Point(problem_.space.size(), NAN)));
}

void IsolatedPluginOptimizer::tell(const optimizers::Trial& t) {
    if (!failure_.empty()) return;
    const std::string cmd = fmt::format("tell {} {} {} {} {}", t.id, static_cast<int>(t.status), numbers(t.x),
                                        numbers(t.objectives), numbers(t.constraints));
    const auto answer = call(cmd);
    if (!answer) return;  // the next ask reports the failure
    history_.push_back(cmd);
    if (*answer != "ok")
        throw PluginError(fmt::format("optimizer plugin {}: tell: {}", name_,
                                      answer->rfind("error ", 0) == 0 ? answer->substr(6) : *answer));
}

}  // namespace dynosim::plugins
