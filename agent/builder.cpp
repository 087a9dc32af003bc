#include "agent/builder.hpp"

#include <fmt/format.h>

#include "agent/process.hpp"

namespace dynosim::agent {

namespace {
// The last `n` lines of a log, to quote a compiler error in one record.
std::string first_error(const std::string& log) {
    const std::size_t e = log.find("error");
    if (e == std::string::npos) return "";
    std::size_t b = log.rfind('\n', e);
    b = b == std::string::npos ? 0 : b + 1;
    std::size_t end = log.find('\n', e);
    return log.substr(b, (end == std::string::npos ? log.size() : end) - b);
}
}  // namespace

BuildResult build_plugin(const BuildOptions& o) {
    BuildResult r;
    std::filesystem::create_directories(o.build_dir);
    double left = o.timeout_s;
    auto step = [&](std::vector<std::string> argv, const char* what) {
        ProcessOptions p;
        p.argv = std::move(argv);
        p.timeout_s = std::max(left, 0.001);
        const ProcessResult pr = run_process(p);
        r.log += pr.output;
        r.seconds += pr.wall_s;
        left -= pr.wall_s;
        if (pr.ok()) return true;
        const std::string first = first_error(pr.output);
        r.error = fmt::format("{} failed: {}{}", what, pr.describe(o.timeout_s), first.empty() ? "" : ": " + first);
        return false;
    };
    const bool configured = std::filesystem::exists(o.build_dir / "CMakeCache.txt");
    if (!configured && !step({"cmake", "-S", o.source_dir.string(), "-B", o.build_dir.string(),
                              "-DCMAKE_BUILD_TYPE=Release"},
                             "cmake configure"))
        return r;
    if (!step({"cmake", "--build", o.build_dir.string()}, "build")) return r;
    r.library = o.build_dir / "policy.so";
    if (!std::filesystem::exists(r.library)) {
        r.error = fmt::format("the build made no {} (the workspace's CMakeLists.txt must build the module 'policy')",
                              r.library.string());
        return r;
    }
    r.ok = true;
    return r;
}

}  // namespace dynosim::agent
