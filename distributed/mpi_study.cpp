#include "distributed/mpi_study.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "sim/core/errors.hpp"

namespace dynosim::distributed {

namespace fw = framework;

namespace {

constexpr int kTagTrial = 1, kTagResult = 2, kTagStop = 3;

std::string encode_request(const fw::EvalRequest& r) {
    std::string s = std::to_string(r.id) + "\n";
    for (const auto& o : r.overrides) s += o + "\n";
    return s;
}

fw::EvalRequest decode_request(const std::string& s) {
    fw::EvalRequest r;
    std::istringstream in(s);
    std::string line;
    std::getline(in, line);
    r.id = std::stoull(line);
    while (std::getline(in, line))
        if (!line.empty()) r.overrides.push_back(line);
    return r;
}

std::string recv_string(int source, int tag, MPI_Status* st_out = nullptr) {
    MPI_Status st;
    MPI_Probe(source, tag, MPI_COMM_WORLD, &st);
    int n = 0;
    MPI_Get_count(&st, MPI_CHAR, &n);
    std::string s(static_cast<std::size_t>(n), '\0');
    MPI_Recv(s.data(), n, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (st_out) *st_out = st;
    return s;
}

void send_string(const std::string& s, int dest, int tag) {
    MPI_Send(s.data(), static_cast<int>(s.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

// Worker rank: simulate trials until told to stop.
void serve(const std::string& study_file) {
    std::optional<fw::EvaluatorOptions> eo;
    std::string load_error;
    try {
        eo = fw::study_evaluator_options(fw::load_study(study_file));
    } catch (const std::exception& e) {
        load_error = e.what();
    }
    while (true) {
        MPI_Status st;
        MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        if (st.MPI_TAG == kTagStop) {
            MPI_Recv(nullptr, 0, MPI_CHAR, 0, kTagStop, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            return;
        }
        const fw::EvalRequest req = decode_request(recv_string(0, kTagTrial));
        fw::EvalResult res;
        res.id = req.id;
        if (eo) res = fw::evaluate_trial(*eo, req);
        else res.error = "worker rank could not load the study: " + load_error;
        send_string(fw::encode_result(res), 0, kTagResult);
    }
}

}  // namespace

MpiStudyResult run_study_mpi(const MpiStudyOptions& o) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    MpiStudyResult out;
    MPI_Comm_rank(MPI_COMM_WORLD, &out.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &out.size);
    struct Finalize {
        ~Finalize() { MPI_Finalize(); }
    } finalize;
    if (out.size < 2)
        throw sim::core::InputError("--mpi: needs at least 2 ranks (rank 0 runs the optimizer, the others simulate): "
                                    "mpirun -n 3 dynosim study run --mpi STUDY.toml");
    if (provided < MPI_THREAD_SERIALIZED)
        throw sim::core::InputError("--mpi: the MPI library does not support MPI_THREAD_SERIALIZED");
    if (out.rank != 0) {
        serve(o.study_file);
        return out;
    }
    // Rank 0: the usual study loop; evaluator slot i talks to rank i + 1. MPI calls are serialized by a
    // mutex; a slot waits for its answer by polling (Iprobe) so other slots can send meanwhile.
    std::mutex mpi_mu;
    fw::RunOptions ro;
    ro.on_trial = o.on_trial;
    ro.parallelism = static_cast<std::size_t>(out.size - 1);
    ro.remote = [&mpi_mu](const fw::EvalRequest& r, std::size_t slot) {
        const int rank = static_cast<int>(slot) + 1;
        const auto start = std::chrono::steady_clock::now();
        {
            std::lock_guard lk(mpi_mu);
            send_string(encode_request(r), rank, kTagTrial);
        }
        std::string text;
        while (true) {
            {
                std::lock_guard lk(mpi_mu);
                int flag = 0;
                MPI_Iprobe(rank, kTagResult, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
                if (flag) {
                    text = recv_string(rank, kTagResult);
                    break;
                }
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        fw::EvalResult res;
        if (!fw::decode_result(text, res)) res.error = fmt::format("rank {}: malformed result message", rank);
        res.id = r.id;
        res.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return res;
    };
    auto stop_workers = [&] {
        for (int r = 1; r < out.size; ++r) MPI_Send(nullptr, 0, MPI_CHAR, r, kTagStop, MPI_COMM_WORLD);
    };
    try {
        auto study = std::make_unique<fw::Study>(fw::load_study(o.study_file));
        const std::string path = o.db.empty() ? std::filesystem::path(o.study_file).stem().string() + ".sqlite" : o.db;
        if (std::filesystem::exists(path)) {
            fw::StudyStorage existing(path);
            if (!existing.trials().empty())
                throw sim::core::InputError(fmt::format("{}: already holds {} trials; `dynosim study resume {}` "
                                                        "continues it (single process), or pass another --db",
                                                        path, existing.trials().size(), path));
        }
        auto db = std::make_unique<fw::StudyStorage>(path);
        out.summary = fw::run_study(*study, *db, ro);
        out.db_path = db->path().string();
    } catch (...) {
        stop_workers();
        throw;
    }
    stop_workers();
    return out;
}

}  // namespace dynosim::distributed
