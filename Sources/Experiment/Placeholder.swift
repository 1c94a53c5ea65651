// Experiment files and arrays (in progress).
