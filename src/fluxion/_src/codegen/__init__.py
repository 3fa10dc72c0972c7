"""Every compiled form of a graph: per-backend lowerings, the tape machine, the module cache."""
