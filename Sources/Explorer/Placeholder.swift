// Explorer (in progress).
