// The workspace's git repository through libgit2 (never the git command): open/init, status, commit,
// branches, tags, forced checkout, applying a unified diff to the working tree, exporting a commit's tree
// into a scratch folder. Every failure throws GitError with libgit2's message and what was attempted.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/errors.hpp"

struct git_repository;

namespace dynosim::agent {

class GitError : public sim::core::InputError {
public:
    using sim::core::InputError::InputError;
};

class GitRepo {
public:
    // The folder must be the root of a repository with a working tree; GitError otherwise.
    static GitRepo open(const std::filesystem::path& dir);
    // Creates a repository whose first branch is `branch`.
    static GitRepo init(const std::filesystem::path& dir, const std::string& branch);
    GitRepo(GitRepo&& o) noexcept;
    GitRepo& operator=(GitRepo&&) = delete;
    GitRepo(const GitRepo&) = delete;
    ~GitRepo();

    const std::filesystem::path& workdir() const { return dir_; }
    // The branch HEAD is on ("agent/best"), or "" when HEAD is detached or unborn.
    std::string head_branch() const;
    // The commit HEAD points to; nullopt while unborn.
    std::optional<std::string> head_commit() const;
    // Hex id of a branch or tag ("refs/heads/x", "refs/tags/y"); nullopt when it does not exist.
    std::optional<std::string> resolve(const std::string& refname) const;
    // Paths (relative) that differ from HEAD: modified, staged, deleted or untracked and not ignored.
    std::vector<std::string> dirty_paths() const;
    // Stages everything (additions, changes, deletions; ignored files stay out) and commits it on the
    // branch HEAD is on. Returns the new commit's id.
    std::string commit_all(const std::string& message);
    // Creates or moves branch `name` to `commit`.
    void set_branch(const std::string& name, const std::string& commit);
    void delete_branch(const std::string& name);
    std::vector<std::string> branches(const std::string& prefix) const;
    void set_tag(const std::string& name, const std::string& commit);
    // Forced checkout of branch `name`: the working tree and index become its commit exactly (changes and
    // untracked, non-ignored files are removed) and HEAD points to the branch.
    void checkout_branch(const std::string& name);
    // Writes the tree of `commit` into `dir` (created), leaving the repository untouched.
    void export_tree(const std::string& commit, const std::filesystem::path& dir) const;
    // Applies a unified diff (git diff format, a/ b/ prefixes; a plain `diff -u` is given git headers) to
    // the working tree. GitError when it does not parse, touches a path `allowed` refuses, or does not
    // apply (nothing is changed then).
    void apply_diff(const std::string& diff, const std::function<bool(const std::string&)>& allowed = {});
    // True when `ancestor` is `commit` or one of its ancestors.
    bool is_ancestor(const std::string& ancestor, const std::string& commit) const;
    std::string short_id(const std::string& commit) const { return commit.substr(0, 10); }

private:
    GitRepo(git_repository* r, std::filesystem::path dir) : repo_(r), dir_(std::move(dir)) {}
    git_repository* repo_ = nullptr;
    std::filesystem::path dir_;
};

}  // namespace dynosim::agent
