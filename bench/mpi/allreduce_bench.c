/* allreduce_bench.c — all-reduce time vs message size on this machine (loopback / shared memory), for the
 * alpha-beta model in docs/scaling.md. Times cllm's fixed-order all-reduce (the one training uses) and the MPI
 * library's MPI_Allreduce side by side, alternating, median of R repetitions per size.
 *     make MPI=1 && mpirun -np 2 build-mpi/allreduce_bench [max_floats] [reps]
 * Prints one line per size: floats, bytes, median seconds of each, and the bus rate 2(N-1)/N·bytes/s. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "comm_mpi.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    cli_mpi *c = cli_mpi_init(&argc, &argv);
    if (!c) { fprintf(stderr, "allreduce_bench: MPI did not start\n"); return 1; }
    size_t max_n = argc > 1 ? strtoull(argv[1], NULL, 10) : (size_t)1 << 24;
    int reps = argc > 2 ? atoi(argv[2]) : 9, N = cli_mpi_size(c), me = cli_mpi_rank(c);
    if (reps < 1 || reps > 1000) reps = 9;
    float *buf = malloc(sizeof(float) * max_n);
    double *t[2] = {malloc(sizeof(double) * reps), malloc(sizeof(double) * reps)};
    if (!buf || !t[0] || !t[1]) { fprintf(stderr, "allreduce_bench: out of memory\n"); cli_mpi_abort(1); }
    cllm_error err = {0};
    if (me == 0)
        printf("# %d ranks; median of %d; fixed = cllm's rank-order all-reduce, native = MPI_Allreduce\n"
               "%12s %12s %12s %12s %10s %10s\n", N, reps, "floats", "bytes", "fixed_s", "native_s", "fixed_GB/s",
               "native_GB/s");
    for (size_t n = 256; n <= max_n; n *= 4) {
        cli_mpi_set_bucket(c, n < ((size_t)1 << 22) ? n : ((size_t)1 << 22));
        for (int r = 0; r < reps; r++)
            for (int k = 0; k < 2; k++) { /* A B A B: the machine is shared */
                for (size_t i = 0; i < n; i++) buf[i] = (float)((i * 7 + (size_t)me) % 13) * 0.25f;
                cli_mpi_barrier(c, &err);
                double t0 = MPI_Wtime();
                int rc = k == 0 ? cli_mpi_allreduce_f32(c, buf, n, &err) : cli_mpi_allreduce_native_f32(c, buf, n, &err);
                t[k][r] = MPI_Wtime() - t0;
                if (rc) { fprintf(stderr, "allreduce_bench: %s\n", err.msg); cli_mpi_abort(1); }
                if (k == 0) /* the sum of the ranks' values, exactly (small integers / 4) */
                    for (size_t i = 0; i < n; i += 997) {
                        float want = 0;
                        for (int q = 0; q < N; q++) want += (float)((i * 7 + (size_t)q) % 13) * 0.25f;
                        if (buf[i] != want) { fprintf(stderr, "allreduce_bench: wrong sum at %zu\n", i); cli_mpi_abort(1); }
                    }
            }
        qsort(t[0], reps, sizeof(double), cmp_double);
        qsort(t[1], reps, sizeof(double), cmp_double);
        double f = t[0][reps / 2], nat = t[1][reps / 2], bus = 2.0 * (N - 1) / N * (double)n * 4;
        if (me == 0)
            printf("%12zu %12zu %12.3e %12.3e %10.3f %10.3f\n", n, n * 4, f, nat, bus / f / 1e9, bus / nat / 1e9);
    }
    free(buf); free(t[0]); free(t[1]);
    cli_mpi_finalize(c);
    return 0;
}
