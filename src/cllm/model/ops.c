/* ops.c — instantiates ops_impl.h for float, the model that trains (the tests instantiate it for double, the
 * gradient checks' oracle: tests/support/model64.c). */
#include <math.h>
#include <string.h>

#include "cllm_simd.h"
#include "internal.h"
#include "ops.h"

#include "real_f32.h"
#define SQRT sqrtf
#define EXP expf
#define LOG logf
#define TANH tanhf
#define DOT cllm_dot
#define AXPY cllm_axpy
#include "ops_impl.h"
