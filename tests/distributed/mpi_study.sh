#!/usr/bin/env bash
# A study run over 3 MPI ranks (rank 0: optimizer and SQLite; ranks 1-2: simulate) gives the same study as
# the single-process run of the same file and seed, for batch optimizers (grid, random); a 1-rank --mpi run
# is refused with a clear message. Usage: mpi_study.sh MPIEXEC PATH/TO/dynosim
set -euo pipefail
mpiexec=$1
cli=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mpirun_args=(--oversubscribe)
[[ $(id -u) -eq 0 ]] && mpirun_args+=(--allow-run-as-root)  # CI runs as root
export OMPI_MCA_rmaps_base_oversubscribe=1
# Under `make test-asan`: Open MPI's components (dlopen'ed, unloaded before the leak check, so no suppression
# can name them) keep allocations past MPI_Finalize; leak checking is off for the mpiexec runs only. The
# single-process runs of the same studies below keep it, and share every code path but the MPI transport.
mpi_env=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
fail=0
for opt in grid random; do
  cat > "$dir/$opt.toml" <<TOML
[study]
budget = 8
seed = 3
parallelism = 2
set = ["workload.kind=\"generator\"", "workload.generator.num_requests=40", "workload.generator.duration_s=10",
       "workload.generator.arrival.rate=6", "workload.generator.input.value=2048", "workload.generator.output.value=64"]
[optimizer]
name = "$opt"
[[dimension]]
key = "fleet.workers"
type = "int"
min = 1
max = 4
[[dimension]]
key = "engine.max_num_seqs"
type = "categorical"
values = [2, 8, 64]
[[constraint]]
metric = "ttft.p90"
max = 3000
[[objective]]
metric = "tokens_per_s_per_gpu"
direction = "maximize"
[[objective]]
metric = "ttft.p90"
TOML
  "$cli" study run "$dir/$opt.toml" --db "$dir/$opt-single.sqlite" --quiet
  "${mpi_env[@]}" "$mpiexec" "${mpirun_args[@]}" -n 3 "$cli" study run --mpi "$dir/$opt.toml" --db "$dir/$opt-mpi.sqlite" --quiet
  "$cli" study show --all "$dir/$opt-single.sqlite" > "$dir/$opt-single.txt"
  "$cli" study show --all "$dir/$opt-mpi.sqlite" > "$dir/$opt-mpi.txt"
  if ! diff "$dir/$opt-single.txt" "$dir/$opt-mpi.txt"; then echo "$opt: the MPI study differs"; fail=1; fi
  n=$(grep -c "feasible" "$dir/$opt-mpi.txt" || true)
  if [[ $n -lt 8 ]]; then echo "$opt: expected 8 trials listed, found $n"; fail=1; fi
done
out=$("${mpi_env[@]}" "$mpiexec" "${mpirun_args[@]}" -n 1 "$cli" study run --mpi "$dir/grid.toml" --db "$dir/one.sqlite" 2>&1 || true)
if ! grep -q "needs at least 2 ranks" <<<"$out"; then echo "1 rank: expected a clear refusal, got: $out"; fail=1; fi
[[ $fail -eq 0 ]] && echo "grid and random studies on 3 MPI ranks equal their single-process runs"
exit $fail
