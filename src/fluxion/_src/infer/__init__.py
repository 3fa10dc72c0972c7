"""Inference building blocks shared by the samplers and the optimizers (the unconstrained model)."""
