#include "agent/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace dynosim::agent {

std::string ProcessResult::describe(double timeout_s) const {
    if (spawn_failed) return "could not start: " + output;
    if (timed_out) return fmt::format("timed out after {} s; its process group was killed", timeout_s);
    if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
    return fmt::format("exit status {}", exit_code);
}

ProcessResult run_process(const ProcessOptions& o) {
    ProcessResult res;
    if (o.argv.empty()) throw std::runtime_error("run_process: empty command");
    int in[2], out[2];
    if (::pipe(in) != 0) throw std::runtime_error(fmt::format("pipe failed: {}", std::strerror(errno)));
    if (::pipe(out) != 0) {
        ::close(in[0]);
        ::close(in[1]);
        throw std::runtime_error(fmt::format("pipe failed: {}", std::strerror(errno)));
    }
    // exec failure is reported through a close-on-exec pipe: it stays empty when exec succeeds.
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("pipe failed: {}", std::strerror(errno)));
    std::vector<char*> args;
    for (const auto& a : o.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const std::string cwd = o.cwd.string();
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
    if (pid == 0) {
        ::setpgid(0, 0);  // own group: a timeout kills the command and everything it started
        for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE}) ::signal(sig, SIG_DFL);
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        if (o.merge_stderr) ::dup2(out[1], 2);
        ::close(in[0]);
        ::close(in[1]);
        ::close(out[0]);
        ::close(out[1]);
        ::close(err[0]);
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
            const std::string m = fmt::format("cannot enter {}: {}", cwd, std::strerror(errno));
            [[maybe_unused]] auto n = ::write(err[1], m.data(), m.size());
            ::_exit(127);
        }
        for (const auto& [k, v] : o.env) ::setenv(k.c_str(), v.c_str(), 1);
        ::execvp(args[0], args.data());
        const std::string m = fmt::format("{}: {}", o.argv[0], std::strerror(errno));
        [[maybe_unused]] auto n = ::write(err[1], m.data(), m.size());
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here, so the group exists before we might kill it
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    // Feed stdin and read stdout together so neither side blocks on a full pipe.
    std::size_t fed = 0;
    int in_fd = in[1];
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
    if (o.stdin_text.empty()) {
        ::close(in_fd);
        in_fd = -1;
    }
    ::signal(SIGPIPE, SIG_IGN);  // a child that exits without reading stdin must not kill us
    char buf[8192];
    bool out_open = true;
    while (out_open) {
        int wait_ms = -1;
        if (o.timeout_s > 0) {
            const double left =
                o.timeout_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (left <= 0) {
                res.timed_out = true;
                break;
            }
            wait_ms = static_cast<int>(left * 1000) + 1;
        }
        pollfd p[2] = {{out[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
        const int n = ::poll(p, in_fd >= 0 ? 2 : 1, wait_ms);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) continue;
        if (in_fd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            const ssize_t w = ::write(in_fd, o.stdin_text.data() + fed, o.stdin_text.size() - fed);
            if (w > 0) fed += static_cast<std::size_t>(w);
            if (w < 0 && errno != EAGAIN && errno != EINTR) fed = o.stdin_text.size();
            if (fed >= o.stdin_text.size()) {
                ::close(in_fd);
                in_fd = -1;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t r = ::read(out[0], buf, sizeof buf);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) out_open = false;
            else res.output.append(buf, static_cast<std::size_t>(r));
        }
    }
    if (in_fd >= 0) ::close(in_fd);
    ::close(out[0]);
    if (res.timed_out) ::kill(-pid, SIGKILL);
    int status = 0;
    if (!res.timed_out && o.timeout_s > 0) {
        // stdout closed; the child may still be running (it closed stdout early): wait within the deadline.
        while (true) {
            const pid_t w = ::waitpid(pid, &status, WNOHANG);
            if (w == pid) break;
            if (w < 0 && errno != EINTR) break;
            if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= o.timeout_s) {
                res.timed_out = true;
                ::kill(-pid, SIGKILL);
                while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
                }
                break;
            }
            ::usleep(10000);
        }
    } else {
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    if (res.timed_out) ::kill(-pid, SIGKILL);  // helpers the command left in its group
    res.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string exec_error;
    while (true) {
        const ssize_t r = ::read(err[0], buf, sizeof buf);
        if (r <= 0) break;
        exec_error.append(buf, static_cast<std::size_t>(r));
    }
    ::close(err[0]);
    if (!exec_error.empty()) {
        res.spawn_failed = true;
        res.output = exec_error;
        return res;
    }
    if (WIFEXITED(status)) {
        res.exited = true;
        res.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res.signal = WTERMSIG(status);
    }
    return res;
}

}  // namespace dynosim::agent
