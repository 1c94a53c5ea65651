// Terminal layer (in progress).
