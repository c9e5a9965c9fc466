// GCBench's allocating half, instantiated once per allocator family: gcbench.c includes this file several times,
// each time with HL_FAMILY defined (malloc, arena, functions, collector), so each family gets its own copy with
// its primitives inlined (native_run.h). No include guard, on purpose. The family-independent half (the node,
// the checks) is in gcbench.c.
//
// The program follows GCBench.swift phase by phase; each comment names the Swift code it mirrors.

/// Frees a dead tree node by node, children first, as GCBench.c's destroy_Node does (families that free);
/// nothing for the others. NULL children are skipped, so a partial tree left by a failed build is freed too.
static void HL_FN(gcbench_free_tree)(struct hl_run *r, struct gcbench_node *node) {
    if (!HL_FREES || !node) return;
    HL_FN(gcbench_free_tree)(r, node->left);
    HL_FN(gcbench_free_tree)(r, node->right);
    HL_FREE(r, node);
}

/// A node with every field set (the allocators need not clear memory), or NULL when the allocation failed.
static inline struct gcbench_node *HL_FN(gcbench_new_node)(struct hl_run *r, struct gcbench_node *left,
                                                           struct gcbench_node *right, int32_t depth) {
    struct gcbench_node *node = HL_ALLOCATE(r, sizeof *node);
    if (node) {
        node->left = left;
        node->right = right;
        node->i = depth;
        node->j = 0;
    }
    return node;
}

/// GCBench.populate: records `depth` in `node` and gives it two children, then recurses (top-down). Returns 0
/// when an allocation failed; the tree under `node` is then partial but well formed (every child NULL or a node).
static int HL_FN(gcbench_populate)(struct hl_run *r, struct gcbench_node *node, int depth) {
    node->i = depth;
    if (depth <= 0) return 1;
    node->left = HL_FN(gcbench_new_node)(r, NULL, NULL, 0);
    if (!node->left) return 0;
    node->right = HL_FN(gcbench_new_node)(r, NULL, NULL, 0);
    if (!node->right) return 0;
    return HL_FN(gcbench_populate)(r, node->left, depth - 1) && HL_FN(gcbench_populate)(r, node->right, depth - 1);
}

/// GCBench.makeTree: a tree of `depth` built bottom-up, children first; NULL (with nothing left allocated) when
/// an allocation failed.
static struct gcbench_node *HL_FN(gcbench_make_tree)(struct hl_run *r, int depth) {
    if (depth <= 0) return HL_FN(gcbench_new_node)(r, NULL, NULL, 0);
    struct gcbench_node *left = HL_FN(gcbench_make_tree)(r, depth - 1);
    if (!left) return NULL;
    struct gcbench_node *right = HL_FN(gcbench_make_tree)(r, depth - 1);
    if (!right) {
        HL_FN(gcbench_free_tree)(r, left);
        return NULL;
    }
    struct gcbench_node *node = HL_FN(gcbench_new_node)(r, left, right, depth);
    if (!node) {
        HL_FN(gcbench_free_tree)(r, left);
        HL_FN(gcbench_free_tree)(r, right);
    }
    return node;
}

/// GCBench.run. Returns HL_NATIVE_OK or the failure status (with the result's message set).
static int HL_FN(gcbench_run)(struct hl_run *r, const hl_gcbench_parameters *p) {
    uint64_t *checksum = &r->result->checksum;
    const int walk = p->walk_trees;
    struct gcbench_node *long_lived = NULL;
    double *array = NULL;

    // The stretch tree: as large as anything built later, dropped at once.
    {
        struct hl_arena_mark mark = HL_SCOPE_BEGIN(r);
        struct gcbench_node *tree = HL_FN(gcbench_make_tree)(r, p->stretch_depth);
        if (!tree) return hl_out_of_memory(r);
        if (!gcbench_check(r, tree, p->stretch_depth, walk, checksum)) return r->result->status;
        if (HL_FREES) {
            uint64_t stall = hl_stall_begin(r);
            HL_FN(gcbench_free_tree)(r, tree);
            hl_stall_end(r, stall, "stretch tree");
        }
        HL_SCOPE_END(r, mark);
    }

    // Long-lived data, alive to the end: a tree built top-down and an array of doubles.
    long_lived = HL_FN(gcbench_new_node)(r, NULL, NULL, 0);
    if (!long_lived) return hl_out_of_memory(r);
    if (!HL_FN(gcbench_populate)(r, long_lived, p->long_lived_depth)) goto out_of_memory;
    array = HL_ALLOCATE_ATOMIC(r, sizeof(double) * (size_t)p->array_size);
    if (!array) goto out_of_memory;
    for (int i = 0; i < p->array_size / 2; i++) array[i] = 1.0 / i;
    hl_sample_memory(r, -1, 1);

    for (int depth = p->min_depth; depth <= p->max_depth; depth += 2) {
        const int64_t count = gcbench_iterations(p, depth);
        // Top-down trees, one operation each: build, check, drop, scope end.
        for (int64_t k = 0; k < count; k++) {
            uint64_t start = hl_operation_begin(r);
            struct hl_arena_mark mark = HL_SCOPE_BEGIN(r);
            struct gcbench_node *tree = HL_FN(gcbench_new_node)(r, NULL, NULL, 0);
            if (!tree) goto out_of_memory;
            if (!HL_FN(gcbench_populate)(r, tree, depth)) {
                HL_FN(gcbench_free_tree)(r, tree);
                goto out_of_memory;
            }
            if (!gcbench_check(r, tree, depth, walk, checksum)) return r->result->status;
            if (HL_FREES) {
                uint64_t stall = hl_stall_begin(r);
                HL_FN(gcbench_free_tree)(r, tree);
                hl_stall_end(r, stall, "tree");
            }
            HL_SCOPE_END(r, mark);
            hl_operation_end(r, start);
        }
        hl_sample_memory(r, -1, 0);
        // Bottom-up trees, as many.
        for (int64_t k = 0; k < count; k++) {
            uint64_t start = hl_operation_begin(r);
            struct hl_arena_mark mark = HL_SCOPE_BEGIN(r);
            struct gcbench_node *tree = HL_FN(gcbench_make_tree)(r, depth);
            if (!tree) goto out_of_memory;
            if (!gcbench_check(r, tree, depth, walk, checksum)) return r->result->status;
            if (HL_FREES) {
                uint64_t stall = hl_stall_begin(r);
                HL_FN(gcbench_free_tree)(r, tree);
                hl_stall_end(r, stall, "tree");
            }
            HL_SCOPE_END(r, mark);
            hl_operation_end(r, start);
        }
        hl_sample_memory(r, -1, 0);
    }

    // The long-lived data must have survived everything intact.
    if (!gcbench_check(r, long_lived, p->long_lived_depth, 1, checksum)) return r->result->status;
    if (!gcbench_check_array(r, array)) return r->result->status;
    hl_sample_memory(r, -1, 1);
    if (HL_FREES) {
        uint64_t stall = hl_stall_begin(r);
        HL_FN(gcbench_free_tree)(r, long_lived);
        HL_FREE(r, array);
        hl_stall_end(r, stall, "long-lived data");
    }
    return HL_NATIVE_OK;

out_of_memory:
    // Every temporary tree is freed (or was never made) by now; what is left is the long-lived data.
    HL_FN(gcbench_free_tree)(r, long_lived);
    if (HL_FREES && array) HL_FREE(r, array);
    return hl_out_of_memory(r);
}
