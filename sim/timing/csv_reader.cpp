#include "sim/timing/csv_reader.hpp"

#include <zlib.h>

#include <charconv>
#include <cmath>
#include <system_error>

#include <fmt/format.h>

#include "sim/core/errors.hpp"

namespace dynosim::sim::timing {

CsvReader::CsvReader(const std::filesystem::path& path) : path_(path.string()) {
    gz_ = gzopen(path_.c_str(), "rb");
    if (gz_ == nullptr) throw core::InputError(fmt::format("{}: cannot open table file", path_));
    gzbuffer(static_cast<gzFile>(gz_), 1 << 17);
    if (!read_line() || line_.empty()) throw core::InputError(fmt::format("{}: no header line", path_));
    split();
    for (const auto f : fields_) header_.emplace_back(f);
}

CsvReader::~CsvReader() {
    if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
}

int CsvReader::find_column(std::string_view name) const {
    for (std::size_t i = 0; i < header_.size(); ++i)
        if (header_[i] == name) return static_cast<int>(i);
    return -1;
}

int CsvReader::column(std::string_view name) const {
    const int c = find_column(name);
    if (c < 0) throw core::InputError(fmt::format("{}: header has no column '{}'", path_, name));
    return c;
}

bool CsvReader::read_line() {
    line_.clear();
    char buf[4096];
    auto* gz = static_cast<gzFile>(gz_);
    while (gzgets(gz, buf, sizeof buf) != nullptr) {
        line_.append(buf);
        if (!line_.empty() && line_.back() == '\n') break;
    }
    if (line_.empty()) {
        int err = 0;
        const char* msg = gzerror(gz, &err);
        if (err != Z_OK && err != Z_STREAM_END)
            throw core::InputError(fmt::format("{}: after row {}: corrupt or truncated file ({})", path_, row_, msg));
        return false;
    }
    while (!line_.empty() && (line_.back() == '\n' || line_.back() == '\r')) line_.pop_back();
    return true;
}

void CsvReader::split() {
    fields_.clear();
    std::string_view rest = line_;
    while (true) {
        const auto comma = rest.find(',');
        fields_.push_back(rest.substr(0, comma));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
}

bool CsvReader::next() {
    while (true) {
        if (!read_line()) return false;
        ++row_;
        if (line_.find_first_not_of(" \t") == std::string::npos) continue;
        split();
        if (fields_.size() != header_.size())
            throw core::InputError(fmt::format("{}: row {}: {} fields, the header has {}", path_, row_,
                                               fields_.size(), header_.size()));
        return true;
    }
}

std::string CsvReader::where(int col) const {
    return fmt::format("{}: row {}, column '{}'", path_, row_, header_[static_cast<std::size_t>(col)]);
}

double CsvReader::number(int col) const {
    const std::string_view f = field(col);
    double v = 0;
    const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (ec != std::errc() || ptr != f.data() + f.size() || !std::isfinite(v) || f.empty())
        throw core::InputError(fmt::format("{} = '{}': not a finite number", where(col), f));
    return v;
}

std::int64_t CsvReader::integer(int col) const {
    const std::string_view f = field(col);
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (ec != std::errc() || ptr != f.data() + f.size() || f.empty())
        throw core::InputError(fmt::format("{} = '{}': not an integer", where(col), f));
    return v;
}

}  // namespace dynosim::sim::timing
