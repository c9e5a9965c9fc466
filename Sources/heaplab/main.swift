import HeapLabKit

// The command line over the built-in workloads and managers (HeapLabKit's `Lab`). A package that adds its own
// workloads or managers writes the same line over its own lab (Examples/CustomLab).
HeapLab.standard.main()
