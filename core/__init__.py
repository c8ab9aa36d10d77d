"""What every folder of rfdesign shares: constants, dB, registries, cache paths, the version.

The ground floor: every engine (``layouts``, ``solvers``, ``surrogates``, ``optimizers``,
``scattering``) and the application (``rfdesign/``) may import it, and it imports nothing of
rfdesign, nothing heavier than numpy and scipy, so importing it costs nothing.
"""
