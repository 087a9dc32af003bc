#include "framework/study_storage.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "sim/core/errors.hpp"

namespace dynosim::framework {

namespace {
using json = nlohmann::json;

class Stmt {
public:
    Stmt(sqlite3* db, const std::string& sql, const std::filesystem::path& path) : db_(db) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st_, nullptr) != SQLITE_OK)
            throw sim::core::InputError(fmt::format("{}: {}", path.string(), sqlite3_errmsg(db)));
    }
    ~Stmt() { sqlite3_finalize(st_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    void bind(int i, const std::string& s) { sqlite3_bind_text(st_, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT); }
    void bind(int i, std::int64_t v) { sqlite3_bind_int64(st_, i, v); }
    void bind(int i, double v) { sqlite3_bind_double(st_, i, v); }
    int step() { return sqlite3_step(st_); }
    std::string text(int c) const {
        const auto* p = sqlite3_column_text(st_, c);
        return p ? reinterpret_cast<const char*>(p) : "";
    }
    std::int64_t int64(int c) const { return sqlite3_column_int64(st_, c); }
    double real(int c) const { return sqlite3_column_double(st_, c); }
    sqlite3_stmt* st_ = nullptr;
    sqlite3* db_;
};

// JSON cannot hold inf/nan; metrics of an empty run may be nan. Store them as strings.
json num(double v) {
    if (std::isfinite(v)) return v;
    return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}
double unnum(const json& j) {
    if (j.is_number()) return j.get<double>();
    const std::string s = j.get<std::string>();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    return std::numeric_limits<double>::quiet_NaN();
}
json vec(const std::vector<double>& v) {
    json a = json::array();
    for (double x : v) a.push_back(num(x));
    return a;
}
std::vector<double> unvec(const std::string& s) {
    std::vector<double> v;
    if (s.empty()) return v;
    const json a = json::parse(s);
    for (const auto& e : a) v.push_back(unnum(e));
    return v;
}
}  // namespace

StudyStorage::StudyStorage(const std::filesystem::path& path) : path_(path) {
    if (sqlite3_open(path.string().c_str(), &db_) != SQLITE_OK) {
        const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw sim::core::InputError(fmt::format("{}: cannot open study database: {}", path.string(), msg));
    }
    sqlite3_busy_timeout(db_, 10000);
    // WAL: readers (study show) never block the writer; synchronous=NORMAL keeps every committed trial
    // across a process kill (only a power loss can drop the last commits).
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS study (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT, source TEXT, "
         "study_toml TEXT, scenario_toml TEXT, optimizer TEXT, seed INTEGER, created TEXT DEFAULT CURRENT_TIMESTAMP)");
    exec("CREATE TABLE IF NOT EXISTS trials (id INTEGER PRIMARY KEY, point TEXT, params TEXT, status TEXT, "
         "metrics TEXT, objectives TEXT, constraints TEXT, seed INTEGER, wall_s REAL, error TEXT, "
         "updated TEXT DEFAULT CURRENT_TIMESTAMP)");
}

StudyStorage::~StudyStorage() { sqlite3_close(db_); }

void StudyStorage::exec(const std::string& sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw sim::core::InputError(fmt::format("{}: {}", path_.string(), msg));
    }
}

std::optional<StoredStudy> StudyStorage::study() const {
    Stmt s(db_, "SELECT name, source, study_toml, scenario_toml, optimizer, seed FROM study WHERE id = 1", path_);
    if (s.step() != SQLITE_ROW) return std::nullopt;
    return StoredStudy{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), static_cast<std::uint64_t>(s.int64(5))};
}

void StudyStorage::create_study(const StoredStudy& st) {
    Stmt s(db_, "INSERT INTO study (id, name, source, study_toml, scenario_toml, optimizer, seed) VALUES (1, ?, ?, ?, ?, ?, ?)", path_);
    s.bind(1, st.name);
    s.bind(2, st.source);
    s.bind(3, st.text);
    s.bind(4, st.scenario_text);
    s.bind(5, st.optimizer);
    s.bind(6, static_cast<std::int64_t>(st.seed));
    if (s.step() != SQLITE_DONE) throw sim::core::InputError(fmt::format("{}: {}", path_.string(), sqlite3_errmsg(db_)));
}

void StudyStorage::put_trial(const TrialRecord& t) {
    json params = t.params, metrics = json::object();
    for (const auto& [k, v] : t.metrics) metrics[k] = num(v);
    Stmt s(db_, "INSERT OR REPLACE INTO trials (id, point, params, status, metrics, objectives, constraints, seed, "
                "wall_s, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", path_);
    s.bind(1, static_cast<std::int64_t>(t.id));
    s.bind(2, vec(t.point).dump());
    s.bind(3, params.dump());
    s.bind(4, t.status);
    s.bind(5, metrics.dump());
    s.bind(6, vec(t.objectives).dump());
    s.bind(7, vec(t.constraints).dump());
    s.bind(8, t.seed);
    s.bind(9, t.wall_s);
    s.bind(10, t.error);
    if (s.step() != SQLITE_DONE) throw sim::core::InputError(fmt::format("{}: {}", path_.string(), sqlite3_errmsg(db_)));
}

std::vector<TrialRecord> StudyStorage::trials() const {
    std::vector<TrialRecord> out;
    Stmt s(db_, "SELECT id, point, params, status, metrics, objectives, constraints, seed, wall_s, error FROM trials ORDER BY id", path_);
    while (s.step() == SQLITE_ROW) {
        TrialRecord t;
        t.id = static_cast<std::uint64_t>(s.int64(0));
        t.point = unvec(s.text(1));
        const json params = json::parse(s.text(2)), metrics = json::parse(s.text(4));  // alive for the loops
        for (const auto& el : params.items()) t.params[el.key()] = el.value().get<std::string>();
        t.status = s.text(3);
        for (const auto& el : metrics.items()) t.metrics[el.key()] = unnum(el.value());
        t.objectives = unvec(s.text(5));
        t.constraints = unvec(s.text(6));
        t.seed = s.int64(7);
        t.wall_s = s.real(8);
        t.error = s.text(9);
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace dynosim::framework
