// The plugin loader (Boost.DLL): opens a plugin shared library, checks its ABI version and kind, and hands
// out the objects it creates. A Library stays loaded while any object made from it lives (each holds a
// shared_ptr). Each distinct build of a file is loaded from its own copy (a unique file per build), so a
// long-running process picks up a rebuilt plugin at the same path side by side with the old one, whose
// objects keep running the old code. The same bytes loaded twice share one Library.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "plugins/dynosim_plugin.h"
#include "sim/core/errors.hpp"

namespace dynosim::plugins {

// A plugin that cannot be loaded, created or that misbehaved; the text names the file and the plugin.
class PluginError : public sim::core::InputError {
public:
    using sim::core::InputError::InputError;
};

class Library {
public:
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;

    const ds_plugin_descriptor& descriptor() const { return *desc_; }
    ds_plugin_kind kind() const { return static_cast<ds_plugin_kind>(desc_->kind); }
    std::string name() const { return desc_->name ? desc_->name : ""; }
    std::string version() const { return desc_->version ? desc_->version : ""; }
    std::string description() const { return desc_->description ? desc_->description : ""; }
    // The path the caller gave, and a hash of the file's bytes (the build's identity).
    const std::filesystem::path& path() const { return path_; }
    std::uint64_t build_hash() const { return hash_; }
    // "router plugin 'name' (path)", for messages.
    std::string label() const;

    struct Impl;  // holds the boost::dll::shared_library
    Library(std::unique_ptr<Impl> impl, const ds_plugin_descriptor* d, std::filesystem::path path, std::uint64_t hash);

private:
    std::unique_ptr<Impl> impl_;
    const ds_plugin_descriptor* desc_;
    std::filesystem::path path_;
    std::uint64_t hash_;
};

// Loads `path` (or returns the already loaded Library with the same bytes). `expected`: the kind the
// caller needs, 0 for any; `what` names the config key for messages ("router.plugin"). Throws PluginError:
// missing file, not loadable, no entry symbol, ABI version or kind mismatch, a malformed descriptor.
std::shared_ptr<const Library> load_library(const std::filesystem::path& path, int expected = 0,
                                            const std::string& what = "");

// One object created by a plugin; destroys it (and may unload the library) when dropped.
class Instance {
public:
    // `params`: "key=value" strings. Throws PluginError with the plugin's message when create fails.
    Instance(std::shared_ptr<const Library> lib, const std::vector<std::string>& params, ds_create_args args);
    Instance(std::shared_ptr<const Library> lib, void* self) : lib_(std::move(lib)), self_(self) {}
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    void* self() const { return self_; }
    const Library& library() const { return *lib_; }
    const std::shared_ptr<const Library>& library_ptr() const { return lib_; }
    // The plugin's last_error text, or "" when it gives none.
    std::string last_error() const;
    // Throws PluginError "<label>: <what> failed (<status>): <last_error>" unless s is DS_OK.
    void check(ds_status s, const char* what) const;

private:
    std::shared_ptr<const Library> lib_;
    void* self_ = nullptr;
};

// Splits "key=value" entries (the first '=' separates); PluginError for an entry without one.
std::vector<std::pair<std::string, std::string>> parse_params(const std::vector<std::string>& params);

// Libraries loaded now (distinct builds), for tests and `plugin check`.
std::size_t loaded_library_count();

}  // namespace dynosim::plugins
