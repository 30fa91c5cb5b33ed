import LatheCore

// Before anything is read: the model's and data's large blocks then come from the heap the engine reuses,
// as its activations do (`KernelMemory`).
KernelMemory.keepFreedBlocks()
ExitStatus.run()
