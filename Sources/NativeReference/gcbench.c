// GCBench (Hans Boehm, John Ellis, William Kovac), in C as in Boehm's GCBench.c, with the phases, checks,
// checksum, operations, stalls and memory samples of Sources/Workloads/GCBench.swift. The node and the checks
// are here; the allocating half is gcbench_program.h, instantiated below once per allocator family.
#define _GNU_SOURCE
#include "native_run.h"

#include <stdlib.h>
#include <string.h>

/// GCBench.c's Node0: two children and two ints, 24 bytes (the Swift workload's shape: 2 slots + 8 bytes).
/// `i` holds the node's remaining depth, as GCBench.swift records it; `j` stays 0.
struct gcbench_node {
    struct gcbench_node *left;
    struct gcbench_node *right;
    int32_t i;
    int32_t j;
};

_Static_assert(sizeof(struct gcbench_node) == 24, "GCBench's node is 24 bytes, as the Swift workload's shape");

/// Nodes in a complete binary tree of `depth`: 2^(depth+1) - 1 (depth <= 24).
static int64_t gcbench_tree_size(int depth) { return ((int64_t)1 << (depth + 1)) - 1; }

/// Trees built per direction at `depth`: 2 * TreeSize(stretch) / TreeSize(depth).
static int64_t gcbench_iterations(const hl_gcbench_parameters *p, int depth) {
    return 2 * gcbench_tree_size(p->stretch_depth) / gcbench_tree_size(depth);
}

/// GCBench.countNodes: the nodes of a tree of `depth`, or -1 when a node's recorded depth or children are wrong.
/// The recursion is bounded by `depth`, so even a corrupt tree (a cycle) ends.
static int64_t gcbench_count_nodes(const struct gcbench_node *node, int depth) {
    if (node->i != (int32_t)depth) return -1;
    if (depth == 0) return !node->left && !node->right ? 1 : -1;
    if (!node->left || !node->right) return -1;
    int64_t a = gcbench_count_nodes(node->left, depth - 1);
    int64_t b = gcbench_count_nodes(node->right, depth - 1);
    return a < 0 || b < 0 ? -1 : a + b + 1;
}

/// GCBench.check: with `walk`, every node (the count must be TreeSize(depth)); without, the recorded depths of
/// the root and its children. Adds the node count to `*checksum` and returns 1, or fails the run and returns 0.
static int gcbench_check(struct hl_run *r, const struct gcbench_node *root, int depth, int walk, uint64_t *checksum) {
    const int64_t expected_nodes = gcbench_tree_size(depth);
    if (walk) {
        int64_t nodes = gcbench_count_nodes(root, depth);
        if (nodes != expected_nodes) {
            if (nodes < 0) {
                hl_fail(r, HL_NATIVE_CHECK_FAILED, "gcbench: a tree of depth %d has a corrupt node, expected %lld", depth,
                        (long long)expected_nodes);
            } else {
                hl_fail(r, HL_NATIVE_CHECK_FAILED, "gcbench: a tree of depth %d has %lld nodes, expected %lld", depth,
                        (long long)nodes, (long long)expected_nodes);
            }
            return 0;
        }
        *checksum += (uint64_t)nodes;
        return 1;
    }
    const int32_t expected = (int32_t)depth;
    int ok = root->i == expected;
    if (depth > 0) {
        if (root->left && root->right) {
            ok = ok && root->left->i == expected - 1 && root->right->i == expected - 1;
        } else {
            ok = 0;
        }
    }
    if (!ok) {
        hl_fail(r, HL_NATIVE_CHECK_FAILED,
                "gcbench: the root of a tree of depth %d or one of its children records a wrong depth", depth);
        return 0;
    }
    *checksum += (uint64_t)expected_nodes;
    return 1;
}

/// `value` as Swift prints a Double, for the common cases: the shortest %g that reads back the same, with ".0"
/// after an integral value ("0.001", "1e-05", "2.0", "inf", "nan").
static void gcbench_format_double(char *buffer, size_t size, double value) {
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buffer, size, "%.*g", precision, value);
        if (strtod(buffer, NULL) == value || value != value) break;
    }
    if (!strpbrk(buffer, ".enia")) strncat(buffer, ".0", size - strlen(buffer) - 1);
}

/// The long-lived array's probe: element 1000 must still be 1/1000. Returns 1, or fails the run and returns 0.
static int gcbench_check_array(struct hl_run *r, const double *array) {
    double probe = array[1000];
    if (probe == 1.0 / 1000) return 1;
    char text[40];
    gcbench_format_double(text, sizeof text, probe);
    hl_fail(r, HL_NATIVE_CHECK_FAILED, "gcbench: long-lived array[1000] is %s, expected 0.001", text);
    return 0;
}

HL_PROGRAMS_BEGIN   // malloc stays malloc, as gcc -O2 compiles the program (native_run.h)
#define HL_FAMILY malloc
#include "gcbench_program.h"
#undef HL_FAMILY
#define HL_FAMILY arena
#include "gcbench_program.h"
#undef HL_FAMILY
#define HL_FAMILY functions
#include "gcbench_program.h"
#undef HL_FAMILY
#define HL_FAMILY collector
#include "gcbench_program.h"
#undef HL_FAMILY
HL_PROGRAMS_END

/// `value` in `low...high`, or the run fails with the Swift workload's ParameterError message.
static int gcbench_in_range(struct hl_run *r, const char *name, int value, int low, int high) {
    if (value >= low && value <= high) return 1;
    hl_fail(r, HL_NATIVE_INVALID_ARGUMENT, "gcbench: %s must be in %d...%d (got %d)", name, low, high, value);
    return 0;
}

int hl_native_gcbench(hl_native_family family, const hl_native_allocator *allocator,
                      const hl_gcbench_parameters *parameters, const hl_native_hooks *hooks,
                      hl_native_result *result) {
    if (!result) return HL_NATIVE_INVALID_ARGUMENT;
    struct hl_run run;
    if (hl_run_begin(&run, "gcbench", family, allocator, hooks, result) != HL_NATIVE_OK) return result->status;
    const hl_gcbench_parameters *p = parameters;
    if (!p) return hl_fail(&run, HL_NATIVE_INVALID_ARGUMENT, "gcbench: no parameters");
    // The Swift workload's ranges (GCBench.parameters); they also keep every count below in int64_t.
    if (!gcbench_in_range(&run, "stretchDepth", p->stretch_depth, 1, 24)
        || !gcbench_in_range(&run, "longLivedDepth", p->long_lived_depth, 0, 24)
        || !gcbench_in_range(&run, "arraySize", p->array_size, 2002, 100000000)
        || !gcbench_in_range(&run, "minDepth", p->min_depth, 0, 24)
        || !gcbench_in_range(&run, "maxDepth", p->max_depth, 0, 24)
        || !gcbench_in_range(&run, "walkTrees", p->walk_trees, 0, 1)) {
        return result->status;
    }
    if (p->min_depth > p->max_depth) {
        return hl_fail(&run, HL_NATIVE_INVALID_ARGUMENT, "gcbench: minDepth (%d) must not exceed maxDepth (%d)",
                       p->min_depth, p->max_depth);
    }
    switch (family) {
    case HL_NATIVE_MALLOC: gcbench_run_malloc(&run, p); break;
    case HL_NATIVE_ARENA: gcbench_run_arena(&run, p); break;
    case HL_NATIVE_FUNCTIONS: gcbench_run_functions(&run, p); break;
    case HL_NATIVE_COLLECTOR: gcbench_run_collector(&run, p); break;
    }
    hl_run_end(&run, family);
    return result->status;
}
