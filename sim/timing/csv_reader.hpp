// Streaming reader for the measured per-op tables: CSV files, gzip'd or plain (zlib reads both), with a
// header line. Every error names the file, the data row (1-based, header excluded) and the field.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace dynosim::sim::timing {

class CsvReader {
public:
    // Opens `path` and reads its header. Throws core::InputError when the file cannot be opened or has no
    // header line.
    explicit CsvReader(const std::filesystem::path& path);
    ~CsvReader();
    CsvReader(const CsvReader&) = delete;
    CsvReader& operator=(const CsvReader&) = delete;

    const std::vector<std::string>& header() const { return header_; }
    // Index of a header column, or -1.
    int find_column(std::string_view name) const;
    // Index of a header column; throws core::InputError naming the file and the missing column.
    int column(std::string_view name) const;

    // Advances to the next data row; false at the end of the file. Blank lines are skipped. Throws
    // core::InputError when the row has a different number of fields than the header.
    bool next();
    // Field `col` of the current row, as text.
    std::string_view field(int col) const { return fields_[static_cast<std::size_t>(col)]; }
    // Field `col` as a finite number; throws core::InputError naming file, row and column otherwise.
    double number(int col) const;
    // Field `col` as an integer; throws core::InputError naming file, row and column otherwise.
    std::int64_t integer(int col) const;
    // 1-based data row of the current row (the header is row 0; the file line is row + 1 when no blank lines).
    std::int64_t row() const { return row_; }
    const std::string& path() const { return path_; }
    // "file: row N, column 'c'" prefix for messages about the current row.
    std::string where(int col) const;

private:
    bool read_line();
    void split();

    void* gz_ = nullptr;  // gzFile
    std::string path_;
    std::vector<std::string> header_;
    std::string line_;
    std::vector<std::string_view> fields_;
    std::int64_t row_ = 0;
};

}  // namespace dynosim::sim::timing
