"""The implementation of ``fluxion.numpy`` (public names are re-exported from there)."""
