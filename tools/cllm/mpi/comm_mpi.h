/* comm_mpi.h — the cllm CLI's link to MPI (built only by `make MPI=1`, into build-mpi/): start and stop MPI, and the
 * collective operations multi-process training needs, each with a FIXED reduction order so that the sum of the
 * ranks' gradients has the same bits on every rank, on every run, at every message size.
 *
 *     cli_mpi *c = cli_mpi_init(&argc, &argv);                  // MPI_Init; NULL when MPI could not start
 *     cli_mpi_allreduce_f32(c, grads, n, &err);                  // grads = g_0 + g_1 + ... + g_{N-1}, rank order
 *     cli_mpi_finalize(c);
 */
#ifndef CLLM_COMM_MPI_H
#define CLLM_COMM_MPI_H

#include <stddef.h>

#include "cllm_error.h"

typedef struct cli_mpi cli_mpi;

/* Starts MPI (MPI_Init) with errors returned rather than fatal; NULL if MPI is unusable. */
cli_mpi *cli_mpi_init(int *argc, char ***argv);
/* Frees the scratch and calls MPI_Finalize; NULL is fine. */
void cli_mpi_finalize(cli_mpi *c);
/* This process's rank (0..size-1) and the number of processes. */
int cli_mpi_rank(const cli_mpi *c);
int cli_mpi_size(const cli_mpi *c);
/* Elements per bucket of cli_mpi_allreduce_f32 (default 1 Mi floats, 4 MiB; at least size); for measurements. */
void cli_mpi_set_bucket(cli_mpi *c, size_t elements);
/* buf[0..n) ← Σ over ranks, added in rank order (v_0 + v_1, then + v_2, ...), the same bits on every rank.
 * In buckets: each rank sums its 1/N of the bucket (reduce-scatter by MPI_Alltoallv), then MPI_Allgatherv. */
int cli_mpi_allreduce_f32(cli_mpi *c, float *buf, size_t n, cllm_error *err);
/* The same for a few doubles (losses, counters): gathered whole, summed in rank order. n ≤ 64. */
int cli_mpi_allreduce_f64(cli_mpi *c, double *buf, size_t n, cllm_error *err);
/* In place: rank r's part of buf, elements [bounds[r], bounds[r + 1]), reaches every rank (MPI_Allgatherv). */
int cli_mpi_allgather_f32(cli_mpi *c, float *buf, const size_t *bounds, cllm_error *err);
/* Rank r's part [bounds[r], bounds[r + 1]) (at part) into full[0..bounds[N]) on rank 0 (MPI_Gatherv); full unused
 * elsewhere. */
int cli_mpi_gather_f32(cli_mpi *c, const float *part, float *full, const size_t *bounds, cllm_error *err);
/* buf[0..bytes) from root to every rank. */
int cli_mpi_broadcast(cli_mpi *c, void *buf, size_t bytes, int root, cllm_error *err);
/* n floats to rank `to` with tag: copied, sent with MPI_Isend, and returns at once; the copy is freed once sent. */
int cli_mpi_send_f32(cli_mpi *c, const float *buf, size_t n, int to, int tag, cllm_error *err);
/* n floats from rank `from` with tag (MPI_Recv). */
int cli_mpi_recv_f32(cli_mpi *c, float *buf, size_t n, int from, int tag, cllm_error *err);
/* Waits for every rank. */
int cli_mpi_barrier(cli_mpi *c, cllm_error *err);
/* The library's own MPI_Allreduce(MPI_SUM) on the same buffer, for comparison in bench/mpi (order not fixed). */
int cli_mpi_allreduce_native_f32(cli_mpi *c, float *buf, size_t n, cllm_error *err);
/* Ends the whole job after a fatal error on this rank (MPI_Abort with code); never returns. */
_Noreturn void cli_mpi_abort(int code);
/* 1 and this process's rank and the job's size while MPI runs (between init and finalize), else 0: for cli_die. */
int cli_mpi_world(int *rank, int *size);

#endif
