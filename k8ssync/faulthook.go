package k8ssync

// faultHook, when set, runs after the fabric was read. Only binaries built
// with the hhgate_faults tag set it (faulthook_faults.go), to prove that
// a panic in the engine ends as a truthful result; release builds never do.
var faultHook func(fabricName string)
