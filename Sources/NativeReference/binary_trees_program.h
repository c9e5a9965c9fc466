// binary-trees' allocating half, instantiated once per allocator family: binary_trees.c includes this file
// several times, each time with HL_FAMILY defined (malloc, arena, functions, collector). No include guard, on
// purpose. The family-independent half (the node, the checks) is in binary_trees.c.
//
// The program follows BinaryTrees.swift phase by phase; each comment names the Swift code it mirrors.

/// Frees a dead tree node by node (families that free), as the Benchmarks Game's C programs do; nothing for the
/// others.
static void HL_FN(bt_free_tree)(struct hl_run *r, struct bt_node *node) {
    if (!HL_FREES || !node) return;
    HL_FN(bt_free_tree)(r, node->left);
    HL_FN(bt_free_tree)(r, node->right);
    HL_FREE(r, node);
}

/// A node with both children set, or NULL when the allocation failed.
static inline struct bt_node *HL_FN(bt_new_node)(struct hl_run *r, struct bt_node *left, struct bt_node *right) {
    struct bt_node *node = HL_ALLOCATE(r, sizeof *node);
    if (node) {
        node->left = left;
        node->right = right;
    }
    return node;
}

/// BinaryTrees.bottomUpTree: a perfect tree of `depth`, left subtree first (C leaves the order of evaluation of
/// arguments open, Swift does not). NULL, with nothing left allocated, when an allocation failed.
static struct bt_node *HL_FN(bt_bottom_up_tree)(struct hl_run *r, int depth) {
    if (depth == 0) return HL_FN(bt_new_node)(r, NULL, NULL);
    struct bt_node *left = HL_FN(bt_bottom_up_tree)(r, depth - 1);
    if (!left) return NULL;
    struct bt_node *right = HL_FN(bt_bottom_up_tree)(r, depth - 1);
    if (!right) {
        HL_FN(bt_free_tree)(r, left);
        return NULL;
    }
    struct bt_node *node = HL_FN(bt_new_node)(r, left, right);
    if (!node) {
        HL_FN(bt_free_tree)(r, left);
        HL_FN(bt_free_tree)(r, right);
    }
    return node;
}

/// BinaryTrees.bottomUpTree(timingSubtreesOf:): the same tree (depth >= unit_depth), with each subtree of depth
/// `unit_depth` built as one operation.
static struct bt_node *HL_FN(bt_bottom_up_tree_timed)(struct hl_run *r, int depth, int unit_depth) {
    if (depth == unit_depth) {
        uint64_t start = hl_operation_begin(r);
        struct bt_node *tree = HL_FN(bt_bottom_up_tree)(r, depth);
        // An operation that failed is not recorded (a Swift operation that throws records nothing).
        if (tree) hl_operation_end(r, start);
        return tree;
    }
    if (depth == 0) return HL_FN(bt_new_node)(r, NULL, NULL);
    struct bt_node *left = HL_FN(bt_bottom_up_tree_timed)(r, depth - 1, unit_depth);
    if (!left) return NULL;
    struct bt_node *right = HL_FN(bt_bottom_up_tree_timed)(r, depth - 1, unit_depth);
    if (!right) {
        HL_FN(bt_free_tree)(r, left);
        return NULL;
    }
    struct bt_node *node = HL_FN(bt_new_node)(r, left, right);
    if (!node) {
        HL_FN(bt_free_tree)(r, left);
        HL_FN(bt_free_tree)(r, right);
    }
    return node;
}

/// BinaryTrees.run, with max_depth = max(minDepth + 2, depth). Returns HL_NATIVE_OK or the failure status.
static int HL_FN(bt_run)(struct hl_run *r, int max_depth, int unit_depth) {
    uint64_t *checksum = &r->result->checksum;
    const int64_t node_bytes = (int64_t)sizeof(struct bt_node);
    struct bt_node *long_lived = NULL;

    // Stretch tree: the largest structure of the run, dropped at once.
    {
        struct hl_arena_mark mark = HL_SCOPE_BEGIN(r);
        struct bt_node *tree = HL_FN(bt_bottom_up_tree)(r, max_depth + 1);
        if (!tree) return hl_out_of_memory(r);
        if (!bt_verified(r, bt_item_check(tree), max_depth + 1, checksum)) return r->result->status;
        hl_sample_memory(r, bt_nodes(max_depth + 1) * node_bytes, 1);
        if (HL_FREES) {
            uint64_t stall = hl_stall_begin(r);
            HL_FN(bt_free_tree)(r, tree);
            hl_stall_end(r, stall, "stretch tree");
        }
        HL_SCOPE_END(r, mark);
    }

    long_lived = HL_FN(bt_bottom_up_tree)(r, max_depth);
    if (!long_lived) return hl_out_of_memory(r);
    const int64_t long_lived_bytes = bt_nodes(max_depth) * node_bytes;

    for (int depth = BT_MIN_DEPTH; depth <= max_depth; depth += 2) {
        const int64_t tree_bytes = bt_nodes(depth) * node_bytes;
        const int64_t iterations = (int64_t)1 << (max_depth - depth + BT_MIN_DEPTH);
        for (int64_t k = 0; k < iterations; k++) {
            if (depth <= unit_depth) {
                // One operation: build, check, drop, scope end.
                uint64_t start = hl_operation_begin(r);
                struct hl_arena_mark mark = HL_SCOPE_BEGIN(r);
                struct bt_node *tree = HL_FN(bt_bottom_up_tree)(r, depth);
                if (!tree) goto out_of_memory;
                if (!bt_verified(r, bt_item_check(tree), depth, checksum)) return r->result->status;
                if (HL_FREES) {
                    uint64_t stall = hl_stall_begin(r);
                    HL_FN(bt_free_tree)(r, tree);
                    hl_stall_end(r, stall, "tree");
                }
                HL_SCOPE_END(r, mark);
                hl_operation_end(r, start);
            } else {
                // Operations are the subtrees of depth unit_depth: each one's build, then each one's check.
                struct hl_arena_mark mark = HL_SCOPE_BEGIN(r);
                struct bt_node *tree = HL_FN(bt_bottom_up_tree_timed)(r, depth, unit_depth);
                if (!tree) goto out_of_memory;
                int64_t count = bt_item_check_timed(r, tree, depth, unit_depth);
                if (!bt_verified(r, count, depth, checksum)) return r->result->status;
                if (HL_FREES) {
                    uint64_t stall = hl_stall_begin(r);
                    HL_FN(bt_free_tree)(r, tree);
                    hl_stall_end(r, stall, "tree");
                }
                HL_SCOPE_END(r, mark);
            }
            hl_sample_memory(r, long_lived_bytes + tree_bytes, 0);
        }
    }

    if (!bt_verified(r, bt_item_check(long_lived), max_depth, checksum)) return r->result->status;
    hl_sample_memory(r, long_lived_bytes, 1);
    if (HL_FREES) {
        uint64_t stall = hl_stall_begin(r);
        HL_FN(bt_free_tree)(r, long_lived);
        hl_stall_end(r, stall, "long-lived tree");
    }
    return HL_NATIVE_OK;

out_of_memory:
    // The temporary tree freed itself on the way out; what is left is the long-lived tree.
    HL_FN(bt_free_tree)(r, long_lived);
    return hl_out_of_memory(r);
}
