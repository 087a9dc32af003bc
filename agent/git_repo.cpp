#include "agent/git_repo.hpp"

#include <fmt/format.h>
#include <git2.h>

#include <cstdlib>
#include <memory>

namespace dynosim::agent {

namespace {

// libgit2 is initialised once per process and shut down at exit (its state is process-wide).
void ensure_init() {
    static const int once = [] {
        const int rc = git_libgit2_init();
        std::atexit([] { git_libgit2_shutdown(); });
        return rc;
    }();
    (void)once;
}

[[noreturn]] void fail(const std::string& what) {
    const git_error* e = git_error_last();
    throw GitError(fmt::format("{}: {}", what, e && e->message ? e->message : "unknown libgit2 error"));
}
void check(int rc, const std::string& what) {
    if (rc < 0) fail(what);
}

template <class T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const { F(p); }
};
using Commit = std::unique_ptr<git_commit, Deleter<git_commit, git_commit_free>>;
using Tree = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;
using Ref = std::unique_ptr<git_reference, Deleter<git_reference, git_reference_free>>;
using Index = std::unique_ptr<git_index, Deleter<git_index, git_index_free>>;
using Sig = std::unique_ptr<git_signature, Deleter<git_signature, git_signature_free>>;
using StatusList = std::unique_ptr<git_status_list, Deleter<git_status_list, git_status_list_free>>;
using Diff = std::unique_ptr<git_diff, Deleter<git_diff, git_diff_free>>;

git_oid parse_oid(const std::string& hex) {
    git_oid id;
    check(git_oid_fromstr(&id, hex.c_str()), "bad commit id '" + hex + "'");
    return id;
}
std::string hex(const git_oid& id) {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, &id);
    return buf;
}
Commit lookup_commit(git_repository* r, const std::string& id) {
    git_commit* c = nullptr;
    const git_oid oid = parse_oid(id);
    check(git_commit_lookup(&c, r, &oid), "commit " + id + " not found");
    return Commit(c);
}

}  // namespace

GitRepo GitRepo::open(const std::filesystem::path& dir) {
    ensure_init();
    git_repository* r = nullptr;
    if (git_repository_open_ext(&r, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) < 0)
        throw GitError(fmt::format("{}: not a git repository (create a workspace with `dynosim agent init`)",
                                   dir.string()));
    if (git_repository_is_bare(r)) {
        git_repository_free(r);
        throw GitError(fmt::format("{}: a bare repository has no working tree", dir.string()));
    }
    return GitRepo(r, std::filesystem::absolute(dir));
}

GitRepo GitRepo::init(const std::filesystem::path& dir, const std::string& branch) {
    ensure_init();
    git_repository* r = nullptr;
    git_repository_init_options o = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    o.flags = GIT_REPOSITORY_INIT_MKPATH;
    const std::string head = "refs/heads/" + branch;
    o.initial_head = head.c_str();
    check(git_repository_init_ext(&r, dir.c_str(), &o), "cannot create a repository in " + dir.string());
    return GitRepo(r, std::filesystem::absolute(dir));
}

GitRepo::GitRepo(GitRepo&& o) noexcept : repo_(o.repo_), dir_(std::move(o.dir_)) { o.repo_ = nullptr; }
GitRepo::~GitRepo() {
    if (repo_) git_repository_free(repo_);
}

std::string GitRepo::head_branch() const {
    git_reference* h = nullptr;
    if (git_reference_lookup(&h, repo_, "HEAD") < 0) return "";
    Ref head(h);
    if (git_reference_type(h) != GIT_REFERENCE_SYMBOLIC) return "";
    const std::string target = git_reference_symbolic_target(h);
    return target.starts_with("refs/heads/") ? target.substr(11) : "";
}

std::optional<std::string> GitRepo::head_commit() const {
    git_oid id;
    if (git_reference_name_to_id(&id, repo_, "HEAD") < 0) return std::nullopt;
    return hex(id);
}

std::optional<std::string> GitRepo::resolve(const std::string& refname) const {
    git_oid id;
    if (git_reference_name_to_id(&id, repo_, refname.c_str()) < 0) return std::nullopt;
    return hex(id);
}

std::vector<std::string> GitRepo::dirty_paths() const {
    git_status_options o = GIT_STATUS_OPTIONS_INIT;
    o.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    o.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
    git_status_list* l = nullptr;
    check(git_status_list_new(&l, repo_, &o), "cannot read the status of " + dir_.string());
    StatusList list(l);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < git_status_list_entrycount(l); ++i) {
        const git_status_entry* e = git_status_byindex(l, i);
        if (e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED)) continue;
        const git_diff_delta* d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
        out.push_back(d && d->new_file.path ? d->new_file.path : (d && d->old_file.path ? d->old_file.path : "?"));
    }
    return out;
}

std::string GitRepo::commit_all(const std::string& message) {
    git_index* ix = nullptr;
    check(git_repository_index(&ix, repo_), "cannot open the index");
    Index index(ix);
    check(git_index_add_all(ix, nullptr, GIT_INDEX_ADD_DEFAULT, nullptr, nullptr), "cannot stage the changes");
    check(git_index_update_all(ix, nullptr, nullptr, nullptr), "cannot stage deletions");
    check(git_index_write(ix), "cannot write the index");
    git_oid tree_id;
    check(git_index_write_tree(&tree_id, ix), "cannot write the tree");
    git_tree* t = nullptr;
    check(git_tree_lookup(&t, repo_, &tree_id), "cannot read the new tree");
    Tree tree(t);
    git_signature* s = nullptr;
    check(git_signature_now(&s, "dynosim agent", "agent@dynosim.invalid"), "cannot make a signature");
    Sig sig(s);
    std::vector<const git_commit*> parents;
    Commit parent;
    if (auto h = head_commit()) {
        parent = lookup_commit(repo_, *h);
        parents.push_back(parent.get());
    }
    git_oid id;
    check(git_commit_create(&id, repo_, "HEAD", s, s, nullptr, message.c_str(), t, parents.size(), parents.data()),
          "cannot commit");
    return hex(id);
}

void GitRepo::set_branch(const std::string& name, const std::string& commit) {
    Commit c = lookup_commit(repo_, commit);
    git_reference* r = nullptr;
    // A branch HEAD is on cannot be force-created by git_branch_create: move its reference instead.
    const std::string refname = "refs/heads/" + name;
    const git_oid id = parse_oid(commit);
    check(git_reference_create(&r, repo_, refname.c_str(), &id, 1, ("agent: " + name).c_str()),
          "cannot set branch " + name);
    git_reference_free(r);
}

void GitRepo::delete_branch(const std::string& name) {
    // The reference alone: agent branches have no config section, and git_branch_delete's search for one
    // leaks PCRE2 match data in libgit2 1.5 (LeakSanitizer).
    git_reference* r = nullptr;
    if (git_reference_lookup(&r, repo_, ("refs/heads/" + name).c_str()) < 0) return;
    Ref ref(r);
    check(git_reference_delete(r), "cannot delete branch " + name);
}

std::vector<std::string> GitRepo::branches(const std::string& prefix) const {
    git_branch_iterator* it = nullptr;
    check(git_branch_iterator_new(&it, repo_, GIT_BRANCH_LOCAL), "cannot list branches");
    std::vector<std::string> out;
    git_reference* r = nullptr;
    git_branch_t type;
    while (git_branch_next(&r, &type, it) == 0) {
        const char* name = nullptr;
        if (git_branch_name(&name, r) == 0 && std::string(name).starts_with(prefix)) out.push_back(name);
        git_reference_free(r);
    }
    git_branch_iterator_free(it);
    return out;
}

void GitRepo::set_tag(const std::string& name, const std::string& commit) {
    git_object* obj = nullptr;
    const git_oid id = parse_oid(commit);
    check(git_object_lookup(&obj, repo_, &id, GIT_OBJECT_COMMIT), "commit " + commit + " not found");
    git_oid out;
    const int rc = git_tag_create_lightweight(&out, repo_, name.c_str(), obj, 1);
    git_object_free(obj);
    check(rc, "cannot tag " + name);
}

void GitRepo::checkout_branch(const std::string& name) {
    const auto id = resolve("refs/heads/" + name);
    if (!id) throw GitError(fmt::format("{}: branch {} does not exist", dir_.string(), name));
    Commit c = lookup_commit(repo_, *id);
    git_checkout_options o = GIT_CHECKOUT_OPTIONS_INIT;
    o.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
    check(git_checkout_tree(repo_, reinterpret_cast<const git_object*>(c.get()), &o), "cannot check out " + name);
    check(git_repository_set_head(repo_, ("refs/heads/" + name).c_str()), "cannot move HEAD to " + name);
}

void GitRepo::export_tree(const std::string& commit, const std::filesystem::path& dir) const {
    Commit c = lookup_commit(repo_, commit);
    std::filesystem::create_directories(dir);
    const std::string target = dir.string();
    git_checkout_options o = GIT_CHECKOUT_OPTIONS_INIT;
    o.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
    o.target_directory = target.c_str();
    check(git_checkout_tree(repo_, reinterpret_cast<const git_object*>(c.get()), &o),
          "cannot export " + commit + " to " + target);
}

// libgit2 parses only git-style patches: give a plain unified diff ("--- a/x" / "+++ b/x" without a
// "diff --git" line, as diff -u and most LLMs write it) the header git would have written.
static std::string with_git_headers(const std::string& diff) {
    std::string out;
    std::size_t pos = 0;
    bool prev_git = false;
    while (pos < diff.size()) {
        std::size_t e = diff.find('\n', pos);
        e = e == std::string::npos ? diff.size() : e + 1;
        const std::string line = diff.substr(pos, e - pos);
        if (line.starts_with("--- ") && !prev_git && e < diff.size() && diff.compare(e, 4, "+++ ") == 0) {
            auto name = [](std::string l) {
                l = l.substr(4);
                while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
                const std::size_t tab = l.find('\t');
                if (tab != std::string::npos) l.resize(tab);
                return l;
            };
            std::size_t e2 = diff.find('\n', e);
            e2 = e2 == std::string::npos ? diff.size() : e2;
            std::string a = name(line), b = name(diff.substr(e, e2 - e));
            if (!a.starts_with("a/") && a != "/dev/null") a = "a/" + a;
            if (!b.starts_with("b/") && b != "/dev/null") b = "b/" + b;
            out += "diff --git " + (a == "/dev/null" ? "a/" + b.substr(2) : a) + " " +
                   (b == "/dev/null" ? "b/" + a.substr(2) : b) + "\n";
            out += "--- " + a + "\n+++ " + b + "\n";
            pos = e2 < diff.size() ? e2 + 1 : diff.size();
            prev_git = false;
            continue;
        }
        prev_git = line.starts_with("diff --git") || (prev_git && !line.starts_with("@@"));
        out += line;
        pos = e;
    }
    return out;
}

void GitRepo::apply_diff(const std::string& raw, const std::function<bool(const std::string&)>& allowed) {
    const std::string diff = with_git_headers(raw);
    git_diff* d = nullptr;
    check(git_diff_from_buffer(&d, diff.data(), diff.size()), "the proposer's diff does not parse");
    Diff owned(d);
    if (git_diff_num_deltas(d) == 0) throw GitError("the proposer's diff changes no file");
    for (std::size_t i = 0; allowed && i < git_diff_num_deltas(d); ++i) {
        const git_diff_delta* delta = git_diff_get_delta(d, i);
        for (const char* path : {delta->old_file.path, delta->new_file.path})
            if (path && !allowed(path))
                throw GitError(fmt::format("the proposer's diff changes '{}', outside the policy sources", path));
    }
    git_apply_options o = GIT_APPLY_OPTIONS_INIT;
    check(git_apply(repo_, d, GIT_APPLY_LOCATION_WORKDIR, &o), "the proposer's diff does not apply");
}

bool GitRepo::is_ancestor(const std::string& ancestor, const std::string& commit) const {
    if (ancestor == commit) return true;
    const git_oid a = parse_oid(ancestor), c = parse_oid(commit);
    const int rc = git_graph_descendant_of(repo_, &c, &a);
    check(rc, "cannot compare commits");
    return rc == 1;
}

}  // namespace dynosim::agent
