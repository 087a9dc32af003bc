// Header-only C++ helper for plugin authors, on top of the C ABI in dynosim_plugin.h. A policy is a class
// and one macro:
//
//     #include "dynosim_plugin.hpp"
//     struct FewestWaiting {
//         explicit FewestWaiting(const dynosim_plugin::Context&) {}
//         std::uint32_t choose(const dynosim_plugin::RouterView& v) { ... return index; }
//     };
//     DYNOSIM_PLUGIN(FewestWaiting, "fewest_waiting", "1.0", "the worker with the fewest waiting requests")
//
// The kind follows from the methods the class has:
//   router        std::uint32_t choose(const RouterView&)  or  void score(const RouterView&, double* out)
//   cache policy  void reset(int32_t first, int32_t last); void on_freed(const ds_block_info&);
//                 void on_reused(int32_t block); int32_t pop_victim()
//   optimizer     bool ask(double* x, std::uint32_t n); void tell(const ds_trial&)   (and copyable;
//                 `static constexpr bool kSupportsPending = true;` when ask may run ahead of tell)
// The constructor takes a Context (parameters, seed, sizes). A class may list its parameters as
//     static constexpr ds_param_doc kParams[] = {{"cap", "integer", "4", "..."}};
// then a parameter not listed is rejected when the object is created. Exceptions thrown by the class are
// caught at the boundary and reported through last_error; nothing C++ crosses it.
#pragma once
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "dynosim_plugin.h"

namespace dynosim_plugin {

// The config's "key=value" parameters, typed on read. A bad value throws std::invalid_argument naming it.
class Params {
public:
    Params(const ds_param* p, std::uint32_t n) : p_(p), n_(n) {}
    bool has(std::string_view key) const { return find(key) != nullptr; }
    std::string get(std::string_view key, std::string def) const {
        const char* v = find(key);
        return v ? std::string(v) : def;
    }
    std::int64_t get(std::string_view key, std::int64_t def) const {
        const char* v = find(key);
        if (!v) return def;
        char* end = nullptr;
        const long long x = std::strtoll(v, &end, 10);
        if (!*v || *end) bad(key, v, "an integer");
        return x;
    }
    std::int64_t get(std::string_view key, int def) const { return get(key, std::int64_t{def}); }
    double get(std::string_view key, double def) const {
        const char* v = find(key);
        if (!v) return def;
        char* end = nullptr;
        const double x = std::strtod(v, &end);
        if (!*v || *end || !std::isfinite(x)) bad(key, v, "a finite number");
        return x;
    }
    bool get(std::string_view key, bool def) const {
        const char* v = find(key);
        if (!v) return def;
        if (std::string_view(v) == "true" || std::string_view(v) == "1") return true;
        if (std::string_view(v) == "false" || std::string_view(v) == "0") return false;
        bad(key, v, "true or false");
    }
    std::uint32_t size() const { return n_; }
    const ds_param& operator[](std::uint32_t i) const { return p_[i]; }

private:
    const char* find(std::string_view key) const {
        for (std::uint32_t i = 0; i < n_; ++i)
            if (key == p_[i].key) return p_[i].value;
        return nullptr;
    }
    [[noreturn]] static void bad(std::string_view key, const char* v, const char* want) {
        throw std::invalid_argument("parameter " + std::string(key) + " = " + v + ": expected " + want);
    }
    const ds_param* p_;
    std::uint32_t n_;
};

// What a constructor gets: parameters, seed and the sizes of the problem.
struct Context {
    Params params;
    std::uint64_t seed = 0;
    std::uint32_t num_workers = 0;  // routers
    std::uint32_t num_dims = 0;     // optimizers: the search space
    const ds_dimension* dims = nullptr;
    const double* start = nullptr;  // num_dims values or nullptr
    std::uint32_t num_objectives = 0, num_constraints = 0;
    std::uint64_t budget = 0;
};

// The router's view, read-only and valid during the call.
class RouterView {
public:
    explicit RouterView(const ds_router_view& v) : v_(v) {}
    std::uint32_t size() const { return v_.num_workers; }
    const ds_worker_view& worker(std::uint32_t i) const {
        return *reinterpret_cast<const ds_worker_view*>(reinterpret_cast<const char*>(v_.workers) +
                                                        std::size_t{i} * v_.worker_view_size);
    }
    const ds_request_view& request() const { return *v_.request; }
    // The host filled the KV figures (router.plugin_kv_indexer = true): overlap_blocks and the worker's
    // active_prefill_tokens, active_blocks and new_active_blocks may be read.
    bool has_kv_figures() const {
        return v_.struct_size >= offsetof(ds_router_view, host_random_ctx) + sizeof(void*) && v_.has_kv_figures == 1 &&
               v_.worker_view_size >= offsetof(ds_worker_view, new_active_blocks) + sizeof(std::int64_t);
    }
    std::int32_t kv_block_size() const { return has_kv_figures() ? v_.kv_block_size : 0; }
    // The host's router random stream, or false when not offered (then draw from your own seeded Rng).
    bool has_host_random() const {
        return v_.struct_size >= offsetof(ds_router_view, host_random_ctx) + sizeof(void*) && v_.host_random;
    }
    std::uint64_t host_random() const { return v_.host_random(v_.host_random_ctx); }

private:
    const ds_router_view& v_;
};

// A small seeded generator (splitmix64) for plugins that draw random numbers.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : s_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double normal() {  // Box-Muller
        const double u1 = 1.0 - uniform(), u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }

private:
    std::uint64_t s_;
};

namespace detail {

template <class T>
concept Chooser = requires(T t, const RouterView& v) {
    { t.choose(v) } -> std::convertible_to<std::uint32_t>;
};
template <class T>
concept Scorer = requires(T t, const RouterView& v, double* out) { t.score(v, out); };
template <class T>
concept CachePolicyClass = requires(T t, const ds_block_info& b, std::int32_t i) {
    t.reset(i, i);
    t.on_freed(b);
    t.on_reused(i);
    { t.pop_victim() } -> std::convertible_to<std::int32_t>;
};
template <class T>
concept OptimizerClass = std::is_copy_constructible_v<T> && requires(T t, double* x, std::uint32_t n, const ds_trial& tr) {
    { t.ask(x, n) } -> std::convertible_to<bool>;
    t.tell(tr);
};
template <class T>
concept HasParamDocs = requires { T::kParams; };

template <class T>
struct Object {
    template <class... A>
    explicit Object(A&&... a) : impl(static_cast<A&&>(a)...) {}
    Object(const Object& o) : impl(o.impl) {}
    std::string error;
    T impl;
};

inline void copy_error(const char* msg, char* out, std::size_t n) {
    if (!out || n == 0) return;
    std::size_t len = std::strlen(msg);
    if (len >= n) len = n - 1;
    std::memcpy(out, msg, len);
    out[len] = '\0';
}

// Runs f on the object; an exception becomes DS_INTERNAL_ERROR (invalid_argument: DS_INVALID_ARGUMENT).
template <class T, class F>
ds_status guarded(void* self, F&& f) noexcept {
    auto* o = static_cast<Object<T>*>(self);
    try {
        return f(o->impl);
    } catch (const std::invalid_argument& e) {
        try { o->error = e.what(); } catch (...) {}
        return DS_INVALID_ARGUMENT;
    } catch (const std::exception& e) {
        try { o->error = e.what(); } catch (...) {}
        return DS_INTERNAL_ERROR;
    } catch (...) {
        try { o->error = "unknown exception"; } catch (...) {}
        return DS_INTERNAL_ERROR;
    }
}

template <class T>
ds_status create(const ds_create_args* a, void** out, char* error, std::size_t error_size) noexcept {
    try {
        Context c{Params(a->params, a->num_params)};
        c.seed = a->seed;
        c.num_workers = a->num_workers;
        c.num_dims = a->num_dims;
        c.dims = a->dims;
        c.start = a->start;
        c.num_objectives = a->num_objectives;
        c.num_constraints = a->num_constraints;
        c.budget = a->budget;
        if constexpr (HasParamDocs<T>) {
            for (std::uint32_t i = 0; i < a->num_params; ++i) {
                bool known = false;
                std::string names;
                for (const ds_param_doc& d : T::kParams) {
                    known = known || std::string_view(d.key) == a->params[i].key;
                    names += (names.empty() ? "" : ", ") + std::string(d.key);
                }
                if (!known)
                    throw std::invalid_argument("unknown parameter '" + std::string(a->params[i].key) +
                                                "'; known: " + names);
            }
        }
        *out = new Object<T>(c);
        return DS_OK;
    } catch (const std::invalid_argument& e) {
        copy_error(e.what(), error, error_size);
        return DS_INVALID_ARGUMENT;
    } catch (const std::exception& e) {
        copy_error(e.what(), error, error_size);
        return DS_INTERNAL_ERROR;
    } catch (...) {
        copy_error("unknown exception", error, error_size);
        return DS_INTERNAL_ERROR;
    }
}

template <class T>
void destroy(void* self) noexcept {
    delete static_cast<Object<T>*>(self);
}
template <class T>
const char* last_error(const void* self) noexcept {
    return static_cast<const Object<T>*>(self)->error.c_str();
}

template <class T>
const ds_router_api* router_api() {
    static const ds_router_api api = [] {
        ds_router_api r{};
        r.struct_size = sizeof(ds_router_api);
        if constexpr (Chooser<T>)
            r.choose = [](void* self, const ds_router_view* v, std::uint32_t* out) noexcept {
                return guarded<T>(self, [&](T& t) {
                    *out = static_cast<std::uint32_t>(t.choose(RouterView(*v)));
                    return DS_OK;
                });
            };
        if constexpr (Scorer<T>)
            r.score = [](void* self, const ds_router_view* v, double* out) noexcept {
                return guarded<T>(self, [&](T& t) {
                    t.score(RouterView(*v), out);
                    return DS_OK;
                });
            };
        return r;
    }();
    return &api;
}

template <class T>
const ds_cache_policy_api* cache_policy_api() {
    static const ds_cache_policy_api api = [] {
        ds_cache_policy_api c{};
        c.struct_size = sizeof(ds_cache_policy_api);
        c.info_size = sizeof(ds_block_info);
        c.reset = [](void* self, std::int32_t first, std::int32_t last) noexcept {
            return guarded<T>(self, [&](T& t) {
                t.reset(first, last);
                return DS_OK;
            });
        };
        c.on_freed = [](void* self, const ds_block_info* b) noexcept {
            return guarded<T>(self, [&](T& t) {
                t.on_freed(*b);
                return DS_OK;
            });
        };
        c.on_reused = [](void* self, std::int32_t b) noexcept {
            return guarded<T>(self, [&](T& t) {
                t.on_reused(b);
                return DS_OK;
            });
        };
        c.pop_victim = [](void* self, std::int32_t* out) noexcept {
            return guarded<T>(self, [&](T& t) {
                *out = static_cast<std::int32_t>(t.pop_victim());
                return DS_OK;
            });
        };
        return c;
    }();
    return &api;
}

template <class T>
const ds_optimizer_api* optimizer_api() {
    static const ds_optimizer_api api = [] {
        ds_optimizer_api o{};
        o.struct_size = sizeof(ds_optimizer_api);
        if constexpr (requires { T::kSupportsPending; }) o.supports_pending = T::kSupportsPending ? 1u : 0u;
        o.ask = [](void* self, double* x, std::uint32_t n, std::int32_t* has) noexcept {
            return guarded<T>(self, [&](T& t) {
                *has = t.ask(x, n) ? 1 : 0;
                return DS_OK;
            });
        };
        o.tell = [](void* self, const ds_trial* tr) noexcept {
            return guarded<T>(self, [&](T& t) {
                t.tell(*tr);
                return DS_OK;
            });
        };
        o.clone = [](const void* self) noexcept -> void* {
            try {
                return new Object<T>(*static_cast<const Object<T>*>(self));
            } catch (...) {
                return nullptr;
            }
        };
        return o;
    }();
    return &api;
}

template <class T>
const ds_plugin_descriptor* descriptor(const char* name, const char* version, const char* description) {
    static_assert(Chooser<T> || Scorer<T> || CachePolicyClass<T> || OptimizerClass<T>,
                  "a plugin class needs choose() or score() (router), reset/on_freed/on_reused/pop_victim "
                  "(cache policy) or ask/tell and a copy constructor (optimizer)");
    static const ds_plugin_descriptor d = [&] {
        ds_plugin_descriptor p{};
        p.abi_version = DYNOSIM_PLUGIN_ABI_VERSION;
        p.struct_size = sizeof(ds_plugin_descriptor);
        p.name = name;
        p.version = version;
        p.description = description;
        if constexpr (HasParamDocs<T>) {
            p.param_docs = T::kParams;
            p.num_param_docs = static_cast<std::uint32_t>(std::extent_v<decltype(T::kParams)>);
        }
        p.create = &create<T>;
        p.destroy = &destroy<T>;
        p.last_error = &last_error<T>;
        if constexpr (Chooser<T> || Scorer<T>) {
            p.kind = DS_KIND_ROUTER;
            p.router = router_api<T>();
        } else if constexpr (CachePolicyClass<T>) {
            p.kind = DS_KIND_CACHE_POLICY;
            p.cache_policy = cache_policy_api<T>();
        } else {
            p.kind = DS_KIND_OPTIMIZER;
            p.optimizer = optimizer_api<T>();
        }
        return p;
    }();
    return &d;
}

}  // namespace detail
}  // namespace dynosim_plugin

// Defines the plugin's exported entry point for class `Class`.
#define DYNOSIM_PLUGIN(Class, name, version, description)                                         \
    extern "C" DS_EXPORT const ds_plugin_descriptor* dynosim_plugin_entry(void) {                 \
        return ::dynosim_plugin::detail::descriptor<Class>(name, version, description);           \
    }
