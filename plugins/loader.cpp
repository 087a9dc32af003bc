#include "plugins/loader.hpp"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

namespace dynosim::plugins {

struct Library::Impl {
    boost::dll::shared_library lib;
};

namespace {

std::mutex g_mu;
std::map<std::uint64_t, std::weak_ptr<const Library>> g_loaded;  // build hash -> library
std::atomic<std::uint64_t> g_copy_counter{0};

// A trial process forked while another thread loads a plugin must not inherit a locked mutex.
[[maybe_unused]] const bool g_atfork = [] {
    ::pthread_atfork([] { g_mu.lock(); }, [] { g_mu.unlock(); }, [] { g_mu.unlock(); });
    return true;
}();

std::uint64_t fnv1a(const std::string& bytes) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
    return h;
}

std::string read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw PluginError(fmt::format("cannot read plugin file {}", p.string()));
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string kind_name(int k) { return ds_kind_to_string(k); }

}  // namespace

Library::Library(std::unique_ptr<Impl> impl, const ds_plugin_descriptor* d, std::filesystem::path path,
                 std::uint64_t hash)
    : impl_(std::move(impl)), desc_(d), path_(std::move(path)), hash_(hash) {}

Library::~Library() = default;

std::string Library::label() const {
    return fmt::format("{} plugin '{}' ({})", kind_name(desc_->kind), name(), path_.string());
}

std::shared_ptr<const Library> load_library(const std::filesystem::path& path, int expected, const std::string& what) {
    const std::string where = what.empty() ? "" : what + ": ";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw PluginError(fmt::format("{}plugin file not found: {}", where, path.string()));
    const std::string bytes = read_bytes(path);
    const std::uint64_t hash = fnv1a(bytes);

    std::lock_guard lock(g_mu);
    std::shared_ptr<const Library> lib;
    if (auto it = g_loaded.find(hash); it != g_loaded.end()) lib = it->second.lock();
    if (!lib) {
        // A unique copy per build: the dynamic linker returns the already mapped object for a path (or
        // inode) it has open, so a rebuilt file at the same path would otherwise never be seen.
        const auto dir = std::filesystem::temp_directory_path() / "dynosim-plugins";
        std::filesystem::create_directories(dir, ec);
        const auto copy = dir / fmt::format("{}-{:016x}-{}-{}{}", path.stem().string(), hash, ::getpid(),
                                            g_copy_counter++, path.extension().string());
        {
            std::ofstream out(copy, std::ios::binary | std::ios::trunc);
            out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            if (!out) throw PluginError(fmt::format("{}cannot copy plugin {} to {}", where, path.string(), copy.string()));
        }
        auto impl = std::make_unique<Library::Impl>();
        try {
            impl->lib.load(copy, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
        } catch (const std::exception& e) {
            std::filesystem::remove(copy, ec);
            throw PluginError(fmt::format("{}cannot load plugin {}: {}", where, path.string(), e.what()));
        }
        std::filesystem::remove(copy, ec);  // the mapping stays; nothing is left behind
        if (!impl->lib.has(DYNOSIM_PLUGIN_ENTRY_SYMBOL))
            throw PluginError(fmt::format(
                "{}{} is not a dynosim plugin: it does not export the entry symbol {}() (define it with "
                "DYNOSIM_PLUGIN(...) from plugins/dynosim_plugin.hpp)",
                where, path.string(), DYNOSIM_PLUGIN_ENTRY_SYMBOL));
        auto entry = impl->lib.get<const ds_plugin_descriptor*()>(DYNOSIM_PLUGIN_ENTRY_SYMBOL);
        const ds_plugin_descriptor* d = entry();
        if (!d) throw PluginError(fmt::format("{}{}: {}() returned NULL", where, path.string(), DYNOSIM_PLUGIN_ENTRY_SYMBOL));
        if (d->abi_version != DYNOSIM_PLUGIN_ABI_VERSION)
            throw PluginError(fmt::format(
                "{}{} was built for plugin ABI version {}, but this dynosim speaks version {}; rebuild it against "
                "this dynosim's plugins/dynosim_plugin.h",
                where, path.string(), d->abi_version, DYNOSIM_PLUGIN_ABI_VERSION));
        if (d->struct_size < offsetof(ds_plugin_descriptor, optimizer) + sizeof(void*))
            throw PluginError(fmt::format("{}{}: descriptor of {} bytes is smaller than ABI version {}'s {} bytes",
                                          where, path.string(), d->struct_size, DYNOSIM_PLUGIN_ABI_VERSION,
                                          sizeof(ds_plugin_descriptor)));
        if (!d->name || !d->create || !d->destroy || !d->last_error)
            throw PluginError(fmt::format("{}{}: descriptor lacks name, create, destroy or last_error", where,
                                          path.string()));
        const bool tables_ok = (d->kind == DS_KIND_ROUTER && d->router && d->router->struct_size >= sizeof(ds_router_api) &&
                                (d->router->choose || d->router->score)) ||
                               (d->kind == DS_KIND_CACHE_POLICY && d->cache_policy &&
                                d->cache_policy->struct_size >= sizeof(ds_cache_policy_api) && d->cache_policy->reset &&
                                d->cache_policy->on_freed && d->cache_policy->on_reused && d->cache_policy->pop_victim) ||
                               (d->kind == DS_KIND_OPTIMIZER && d->optimizer &&
                                d->optimizer->struct_size >= sizeof(ds_optimizer_api) && d->optimizer->ask &&
                                d->optimizer->tell && d->optimizer->clone);
        if (!tables_ok)
            throw PluginError(fmt::format("{}{}: kind {} ({}) without its complete function table", where,
                                          path.string(), d->kind, kind_name(d->kind)));
        lib = std::make_shared<const Library>(std::move(impl), d, path, hash);
        g_loaded[hash] = lib;
        for (auto it = g_loaded.begin(); it != g_loaded.end();)  // forget unloaded builds
            it = it->second.expired() ? g_loaded.erase(it) : std::next(it);
    }
    if (expected != 0 && lib->descriptor().kind != expected)
        throw PluginError(fmt::format("{}{} is a {} plugin ('{}'), not {} {}", where, path.string(),
                                      kind_name(lib->descriptor().kind), lib->name(),
                                      expected == DS_KIND_OPTIMIZER ? "an" : "a", kind_name(expected)));
    return lib;
}

std::size_t loaded_library_count() {
    std::lock_guard lock(g_mu);
    std::size_t n = 0;
    for (const auto& [h, w] : g_loaded) n += !w.expired();
    return n;
}

std::vector<std::pair<std::string, std::string>> parse_params(const std::vector<std::string>& params) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& kv : params) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            throw PluginError(fmt::format("plugin parameter '{}': expected \"key=value\"", kv));
        out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return out;
}

Instance::Instance(std::shared_ptr<const Library> lib, const std::vector<std::string>& params, ds_create_args args)
    : lib_(std::move(lib)) {
    const auto kv = parse_params(params);
    std::vector<ds_param> c;
    c.reserve(kv.size());
    for (const auto& [k, v] : kv) c.push_back({k.c_str(), v.c_str()});
    args.struct_size = sizeof(ds_create_args);
    args.num_params = static_cast<std::uint32_t>(c.size());
    args.params = c.data();
    char error[1024] = {0};
    const ds_status s = lib_->descriptor().create(&args, &self_, error, sizeof(error));
    if (s != DS_OK || !self_)
        throw PluginError(fmt::format("{}: create failed ({}): {}", lib_->label(), ds_status_to_string(s),
                                      error[0] ? error : "no message"));
}

Instance::~Instance() {
    if (self_) lib_->descriptor().destroy(self_);
}

std::string Instance::last_error() const {
    const char* e = lib_->descriptor().last_error(self_);
    return e ? e : "";
}

void Instance::check(ds_status s, const char* what) const {
    if (s == DS_OK) return;
    const std::string e = last_error();
    throw PluginError(fmt::format("{}: {} failed ({}): {}", lib_->label(), what, ds_status_to_string(s),
                                  e.empty() ? "no message" : e));
}

}  // namespace dynosim::plugins
