// binary-trees (the Computer Language Benchmarks Game), in C as its C programs are written, with the phases,
// checks, checksum, operations, stalls and memory samples of Sources/Workloads/BinaryTrees.swift. The node and
// the checks are here; the allocating half is binary_trees_program.h, instantiated below once per family.
#define _GNU_SOURCE
#include "native_run.h"

/// The Benchmarks Game's node: two children, nothing else, 16 bytes (the Swift workload's shape: 2 slots).
struct bt_node {
    struct bt_node *left;
    struct bt_node *right;
};

_Static_assert(sizeof(struct bt_node) == 16, "binary-trees' node is 16 bytes, as the Swift workload's shape");

/// The smallest depth of the temporary trees, fixed by the benchmark (BinaryTrees.minDepth).
#define BT_MIN_DEPTH 4

/// Nodes in a perfect binary tree of `depth`: 2^(depth+1) - 1 (depth <= 27).
static int64_t bt_nodes(int depth) { return ((int64_t)1 << (depth + 1)) - 1; }

/// BinaryTrees.itemCheck: counts the nodes of a tree; a node with a child missing counts as a leaf (so a broken
/// tree fails the count).
static int64_t bt_item_check(const struct bt_node *node) {
    if (!node->left || !node->right) return 1;
    return 1 + bt_item_check(node->left) + bt_item_check(node->right);
}

/// BinaryTrees.itemCheck(timingSubtreesOf:): the count, with the check of each subtree `unit_depth` levels
/// above the leaves timed as one operation.
static int64_t bt_item_check_timed(struct hl_run *r, const struct bt_node *node, int depth, int unit_depth) {
    if (depth <= unit_depth) {
        uint64_t start = hl_operation_begin(r);
        int64_t count = bt_item_check(node);
        hl_operation_end(r, start);
        return count;
    }
    if (!node->left || !node->right) return 1;
    return 1 + bt_item_check_timed(r, node->left, depth - 1, unit_depth)
        + bt_item_check_timed(r, node->right, depth - 1, unit_depth);
}

/// BinaryTrees.verified: adds `count` to `*checksum` and returns 1 when it is the node count of a perfect tree of
/// `depth`; otherwise fails the run with the Swift workload's message and returns 0.
static int bt_verified(struct hl_run *r, int64_t count, int depth, uint64_t *checksum) {
    if (count != bt_nodes(depth)) {
        hl_fail(r, HL_NATIVE_CHECK_FAILED, "binary-trees: a tree of depth %d has %lld nodes, expected %lld", depth,
                (long long)count, (long long)bt_nodes(depth));
        return 0;
    }
    *checksum += (uint64_t)count;
    return 1;
}

HL_PROGRAMS_BEGIN   // malloc stays malloc, as gcc -O2 compiles the program (native_run.h)
#define HL_FAMILY malloc
#include "binary_trees_program.h"
#undef HL_FAMILY
#define HL_FAMILY arena
#include "binary_trees_program.h"
#undef HL_FAMILY
#define HL_FAMILY functions
#include "binary_trees_program.h"
#undef HL_FAMILY
#define HL_FAMILY collector
#include "binary_trees_program.h"
#undef HL_FAMILY
HL_PROGRAMS_END

int hl_native_binary_trees(hl_native_family family, const hl_native_allocator *allocator,
                           const hl_binary_trees_parameters *parameters, const hl_native_hooks *hooks,
                           hl_native_result *result) {
    if (!result) return HL_NATIVE_INVALID_ARGUMENT;
    struct hl_run run;
    if (hl_run_begin(&run, "binary-trees", family, allocator, hooks, result) != HL_NATIVE_OK) return result->status;
    const hl_binary_trees_parameters *p = parameters;
    if (!p) return hl_fail(&run, HL_NATIVE_INVALID_ARGUMENT, "binary-trees: no parameters");
    // The Swift workload's ranges (BinaryTrees.parameters).
    if (p->depth < 1 || p->depth > 26) {
        return hl_fail(&run, HL_NATIVE_INVALID_ARGUMENT, "binary-trees: depth must be in 1...26 (got %d)", p->depth);
    }
    if (p->unit_depth < 1 || p->unit_depth > 26) {
        return hl_fail(&run, HL_NATIVE_INVALID_ARGUMENT, "binary-trees: unitDepth must be in 1...26 (got %d)",
                       p->unit_depth);
    }
    const int max_depth = p->depth > BT_MIN_DEPTH + 2 ? p->depth : BT_MIN_DEPTH + 2;
    switch (family) {
    case HL_NATIVE_MALLOC: bt_run_malloc(&run, max_depth, p->unit_depth); break;
    case HL_NATIVE_ARENA: bt_run_arena(&run, max_depth, p->unit_depth); break;
    case HL_NATIVE_FUNCTIONS: bt_run_functions(&run, max_depth, p->unit_depth); break;
    case HL_NATIVE_COLLECTOR: bt_run_collector(&run, max_depth, p->unit_depth); break;
    }
    hl_run_end(&run, family);
    return result->status;
}
