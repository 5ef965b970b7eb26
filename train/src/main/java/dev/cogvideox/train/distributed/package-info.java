/**
 * Data-parallel training across processes: the {@link dev.cogvideox.distributed.Communicator} (one process, or
 * Open MPI's C library called through {@code java.lang.foreign} when started by {@code mpirun}) and the bucketed
 * all-reduce that averages the gradients of a step over the ranks. {@code TrainingRun} decides what each rank trains
 * on; this package only moves numbers between the ranks.
 */
package dev.cogvideox.train.distributed;
