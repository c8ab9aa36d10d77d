"""Problems, search loops, space mapping and inverse design (rfdesign.optimizers)."""
