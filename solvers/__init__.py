"""Solvers behind one protocol: coarse circuit model, openEMS, Meep, 2-D MoM (rfdesign.solvers)."""
