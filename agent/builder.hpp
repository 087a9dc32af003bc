// Builds the workspace's plugin: `cmake -S src -B build -DCMAKE_BUILD_TYPE=Release` (once per build dir)
// then `cmake --build build`, each in its own process group under one shared timeout (the group is killed
// when it runs out). The workspace's CMakeLists.txt builds the module `policy.so` into the build dir's top.
#pragma once
#include <filesystem>
#include <string>

namespace dynosim::agent {

struct BuildOptions {
    std::filesystem::path source_dir;  // holds CMakeLists.txt
    std::filesystem::path build_dir;   // scratch; created
    double timeout_s = 300;            // configure + build together, wall seconds. Range > 0
};

struct BuildResult {
    bool ok = false;
    double seconds = 0;
    std::string log;                  // cmake's output, both steps
    std::string error;                // one line when !ok: which step failed and how
    std::filesystem::path library;    // build_dir/policy.so when ok
};

BuildResult build_plugin(const BuildOptions& o);

}  // namespace dynosim::agent
