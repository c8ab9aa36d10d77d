"""Surrogate models (CNN, GP, GAN), training and checkpoints (rfdesign.surrogates)."""
