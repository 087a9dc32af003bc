/* dynosim plugin ABI: the one header a router, cache-policy or optimizer plugin includes.
 *
 * A plugin is a shared library exporting one C function, dynosim_plugin_entry(), that returns a descriptor:
 * ABI version, kind, name, version, parameter docs, create/destroy, last_error and a kind-specific function
 * table. Only C types cross the boundary: no C++ types, no exceptions (a plugin catches everything and
 * reports DS_INTERNAL_ERROR with text for last_error), no memory freed on the other side.
 *
 * The ABI can only grow. Every struct starts with (or carries) struct_size, set by the side that fills it to
 * sizeof() at its build time; the reader uses only the fields that fit inside it. Fields are appended,
 * never changed or reordered. DYNOSIM_PLUGIN_ABI_VERSION changes only when a change cannot be expressed by
 * appending; the loader rejects a mismatch and names both versions.
 *
 * Threads: one plugin object is used by one thread at a time; different objects of the same plugin may
 * run on different threads at once (studies run trials in parallel), so keep state in the object. */
#ifndef DYNOSIM_PLUGIN_H
#define DYNOSIM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DYNOSIM_PLUGIN_ABI_VERSION 1u
#define DYNOSIM_PLUGIN_ENTRY_SYMBOL "dynosim_plugin_entry"

#if defined(_WIN32)
#define DS_EXPORT __declspec(dllexport)
#else
#define DS_EXPORT __attribute__((visibility("default")))
#endif

typedef enum ds_status {
    DS_OK = 0,
    DS_INVALID_ARGUMENT = -1, /* a bad parameter or view; last_error says which */
    DS_INTERNAL_ERROR = -2,   /* anything else that went wrong inside the plugin */
    DS_UNSUPPORTED = -3       /* the host asked for something this plugin does not do */
} ds_status;

typedef enum ds_plugin_kind {
    DS_KIND_ROUTER = 1,       /* picks the worker a request goes to */
    DS_KIND_CACHE_POLICY = 2, /* picks which free KV block is reused (evicting its cached prefix) */
    DS_KIND_OPTIMIZER = 3     /* proposes study points (ask) and learns from results (tell) */
} ds_plugin_kind;

/* ---- parameters: the config's "key=value" entries, as given (the plugin parses values) ---- */
typedef struct ds_param {
    const char* key;
    const char* value;
} ds_param;

/* One documented parameter, for `dynosim plugin check` and unknown-parameter errors. */
typedef struct ds_param_doc {
    const char* key;
    const char* type;          /* "integer", "float", "string", "bool" */
    const char* default_value;
    const char* doc;
} ds_param_doc;

/* ---- router ---- */

/* What the router sees of one worker; valid only during the call. */
typedef struct ds_worker_view {
    int32_t running;               /* requests in the running batch */
    int32_t waiting;               /* requests queued, not yet admitted */
    int32_t used_blocks;           /* KV blocks in use */
    int32_t total_blocks;          /* KV blocks of the worker */
    int64_t queued_prefill_tokens; /* prompt tokens of waiting requests not computed yet */
    int32_t overlap_blocks;        /* blocks of this request's prefix cached on the worker; 0 until the host
                                      tracks per-worker prefixes (the KV-aware router) */
    int32_t tier_hit_blocks;       /* of those, blocks held in a lower tier (host memory, disk); 0: no tiers */
    /* Appended (read only when worker_view_size covers them and the router view's has_kv_figures is 1,
       i.e. router.plugin_kv_indexer = true): the KV-aware router's own figures, as docs/router.md defines
       them. overlap_blocks above then holds the KV indexer's prefix overlap in kv_block_size blocks. */
    int64_t active_prefill_tokens; /* prompt tokens routed here whose first token has not come back yet */
    int64_t active_blocks;         /* de-duplicated KV blocks of the requests routed here still in flight */
    int64_t new_active_blocks;     /* blocks this request would add to active_blocks here (not already held) */
} ds_worker_view;

/* The request being routed; valid only during the call. */
typedef struct ds_request_view {
    uint64_t id;                  /* position in the workload, 0-based, in arrival order */
    int64_t arrival_ns;           /* = now */
    int32_t input_tokens;         /* prompt length */
    int32_t output_tokens;        /* tokens to generate */
    int64_t session_id;           /* -1 when none */
    int32_t client_id;            /* -1 when none */
    int32_t hash_block_tokens;    /* tokens per entry of block_hashes */
    uint32_t num_block_hashes;
    uint32_t reserved0;
    const uint64_t* block_hashes; /* prefix identity, one hash per block of hash_block_tokens tokens */
} ds_request_view;

typedef struct ds_router_view {
    uint32_t struct_size; /* sizeof(ds_router_view) of the host */
    uint32_t num_workers; /* >= 1 */
    const ds_worker_view* workers;
    const ds_request_view* request;
    uint32_t worker_view_size; /* sizeof(ds_worker_view) of the host: index workers by this stride */
    uint32_t reserved0;
    /* Appended; present when struct_size covers them. */
    uint32_t has_kv_figures; /* 1: overlap_blocks and the active_* worker fields are filled (plugin_kv_indexer) */
    int32_t kv_block_size;   /* tokens per KV block of those figures; 0 when has_kv_figures is 0 */
    /* The host's router random stream (the one the built-in routers draw from): one xoshiro256** 64-bit
       draw per call. A plugin that uses it for its random choices reproduces the built-in's draws exactly.
       NULL when not offered; valid only during the call. */
    uint64_t (*host_random)(void* host_random_ctx);
    void* host_random_ctx;
} ds_router_view;

typedef struct ds_router_api {
    uint32_t struct_size;
    uint32_t reserved0;
    /* Set at least one. choose: the worker index in [0, num_workers). score: one finite value per worker,
       lower is better; the host takes the lowest (ties: lowest index). choose wins when both are set. */
    ds_status (*choose)(void* self, const ds_router_view* view, uint32_t* out_worker);
    ds_status (*score)(void* self, const ds_router_view* view, double* out_scores);
} ds_router_api;

/* ---- cache policy ----
 * The host keeps the KV blocks; the policy keeps the order of the free ones (blocks no request holds; a
 * free block may still cache a prefix). The host tells it every change to the free set and asks it for a
 * victim when a new block is needed. */
typedef struct ds_block_info {
    int32_t block;        /* block id */
    int32_t cached;       /* 1: holds a registered prefix (reusing it evicts that prefix) */
    int64_t last_use;     /* logical clock of the pool (one tick per free/reuse/pop), at this release */
    uint32_t use_count;   /* times taken since it got its content: 1 at allocation, +1 per prefix hit that
                             took it back from the free set */
    int32_t prefix_depth; /* position in its prefix chain (0 = first block), -1 when never cached */
    int32_t tier;         /* 0 = GPU memory; no lower tiers are modelled yet */
    int32_t reserved0;
} ds_block_info;

typedef struct ds_cache_policy_api {
    uint32_t struct_size;
    uint32_t info_size; /* sizeof(ds_block_info) the plugin was built with */
    /* Blocks first..last start free and uncached, in id order (each also announced by on_freed). */
    ds_status (*reset)(void* self, int32_t first, int32_t last);
    /* A block's last reference was dropped: it joins the free set. */
    ds_status (*on_freed)(void* self, const ds_block_info* info);
    /* A free block was taken back by a prefix hit: it leaves the free set. */
    ds_status (*on_reused)(void* self, int32_t block);
    /* Remove a free block and return it for reuse. The host guarantees the free set is not empty and checks
       that the answer is a free block. */
    ds_status (*pop_victim)(void* self, int32_t* out_block);
} ds_cache_policy_api;

/* ---- optimizer ---- */
typedef enum ds_dim_kind { DS_DIM_INT = 0, DS_DIM_FLOAT = 1, DS_DIM_CATEGORICAL = 2, DS_DIM_BOOL = 3 } ds_dim_kind;

typedef struct ds_dimension {
    const char* name;
    int32_t kind;     /* ds_dim_kind */
    int32_t log;      /* 1: search in log space */
    double low, high; /* inclusive; categorical 0..choices-1, bool 0..1 */
} ds_dimension;

typedef enum ds_trial_status { DS_TRIAL_FEASIBLE = 0, DS_TRIAL_INFEASIBLE = 1, DS_TRIAL_FAILED = 2 } ds_trial_status;

typedef struct ds_trial {
    uint32_t struct_size;
    int32_t status;          /* ds_trial_status */
    uint64_t id;             /* ask order, from 0 */
    const double* x;         /* num_dims values */
    const double* objectives; /* num_objectives values to minimize; NULL when failed */
    const double* constraints; /* num_constraints values, <= 0 satisfied */
    uint32_t num_objectives;
    uint32_t num_constraints;
    double violation;        /* sum of positive constraint values; +inf when failed */
} ds_trial;

typedef struct ds_optimizer_api {
    uint32_t struct_size;
    uint32_t supports_pending; /* 1: ask may be called again before earlier points are told */
    /* Write the next point (num_dims values) and set *has_point = 1, or set *has_point = 0: nothing to
       propose now (finished when no trial is pending). The host clamps and rounds the point into the space. */
    ds_status (*ask)(void* self, double* out_x, uint32_t num_dims, int32_t* has_point);
    /* Every finished trial, in ask order. */
    ds_status (*tell)(void* self, const ds_trial* trial);
    /* An independent copy of the object's state (the host copies optimizers); NULL on failure. */
    void* (*clone)(const void* self);
} ds_optimizer_api;

/* ---- creation ---- */
typedef struct ds_create_args {
    uint32_t struct_size;
    uint32_t num_params;
    const ds_param* params;
    uint64_t seed;                 /* derived from sim.seed / the study seed: use it for every random choice */
    /* router */
    uint32_t num_workers;
    /* optimizer */
    uint32_t num_dims;
    const ds_dimension* dims;
    const double* start;           /* num_dims values (the base scenario's point) or NULL */
    uint32_t num_objectives;
    uint32_t num_constraints;
    uint64_t budget;               /* trials the study will ask for */
} ds_create_args;

typedef struct ds_plugin_descriptor {
    uint32_t abi_version; /* DYNOSIM_PLUGIN_ABI_VERSION at the plugin's build */
    uint32_t struct_size; /* sizeof(ds_plugin_descriptor) at the plugin's build */
    int32_t kind;         /* ds_plugin_kind */
    uint32_t num_param_docs;
    const char* name;
    const char* version;  /* the plugin's own version, free text */
    const char* description;
    const ds_param_doc* param_docs;
    /* New object, or DS_* with a message of at most error_size - 1 bytes written into error. */
    ds_status (*create)(const ds_create_args* args, void** out_self, char* error, size_t error_size);
    void (*destroy)(void* self);
    /* Text for the last non-OK status of this object; owned by the object, valid until its next call. */
    const char* (*last_error)(const void* self);
    /* Exactly one of these is set, matching kind. */
    const ds_router_api* router;
    const ds_cache_policy_api* cache_policy;
    const ds_optimizer_api* optimizer;
} ds_plugin_descriptor;

typedef const ds_plugin_descriptor* (*ds_plugin_entry_fn)(void);

/* Every plugin defines this (the C++ helper's DYNOSIM_*_PLUGIN macros do). */
DS_EXPORT const ds_plugin_descriptor* dynosim_plugin_entry(void);

static inline const char* ds_status_to_string(ds_status s) {
    switch (s) {
        case DS_OK: return "ok";
        case DS_INVALID_ARGUMENT: return "invalid argument";
        case DS_INTERNAL_ERROR: return "internal error";
        case DS_UNSUPPORTED: return "unsupported";
    }
    return "unknown status";
}

static inline const char* ds_kind_to_string(int32_t k) {
    switch (k) {
        case DS_KIND_ROUTER: return "router";
        case DS_KIND_CACHE_POLICY: return "cache_policy";
        case DS_KIND_OPTIMIZER: return "optimizer";
    }
    return "unknown";
}

#ifdef __cplusplus
}
#endif

#endif /* DYNOSIM_PLUGIN_H */
