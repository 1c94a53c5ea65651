print("unroll: in progress")
