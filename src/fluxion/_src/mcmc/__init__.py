"""Implementation of ``fluxion.mcmc``: HMC/NUTS kernels, warm-up adaptation and the driver."""
