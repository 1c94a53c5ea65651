import FuzzDriver

// libFuzzer on this target's function (FuzzDriver enters the driver from this program's main).
runLibFuzzer(fuzzNpz)
