// A study spread over MPI ranks: rank 0 runs the optimizer and the SQLite store (run_study, unchanged),
// and hands each trial to a worker rank instead of a local thread; ranks 1..N-1 load the same study file,
// simulate what they receive and send the metrics back. One trial per worker rank at a time, so the study
// runs with parallelism N-1: a batch optimizer (grid, random, sobol, lhs) gives the same trials as a
// single-process run of the same study and seed, and every optimizer the same as a single-process run
// with parallelism N-1. Messages are text: the trial's id and overrides, and the result as
// encode_result() writes it (exact doubles).
#pragma once
#include <functional>
#include <string>

#include "framework/study.hpp"

namespace dynosim::distributed {

struct MpiStudyOptions {
    std::string study_file;
    std::string db;  // rank 0: the SQLite file to create (default: the study's stem + .sqlite)
    std::function<void(const framework::TrialRecord&)> on_trial;  // rank 0, after each stored trial
};

struct MpiStudyResult {
    int rank = 0, size = 1;
    framework::RunSummary summary;  // rank 0 only
    std::string db_path;            // rank 0 only
};

// Calls MPI_Init_thread / MPI_Finalize itself. Needs at least 2 ranks (throws core::InputError otherwise, on every
// rank). A worker rank that fails to load the study reports the error to rank 0 and exits its loop.
MpiStudyResult run_study_mpi(const MpiStudyOptions& o);

}  // namespace dynosim::distributed
