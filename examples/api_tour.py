from pathlib import Path
from tempfile import mkdtemp

import numpy as np

from rfdesign import DesignResult, design_filter, load_spec
from rfdesign.datasets.store import load_reference
from rfdesign.evaluation import evaluate_network, spec_mask_set, spec_masks
from rfdesign.layouts import Layout
from rfdesign.layouts.export import write_gds, write_png
from rfdesign.solvers.base import ResultCache, get_solver

work = Path(mkdtemp(prefix="rfdesign-tour-"))  # everything this tour writes goes here
spec = load_spec("examples/ka_bandpass.yaml")  # SpecError names every bad field
grid = spec.pixel_grid()  # PixelGrid: 15 free bits, 32,768 layouts
layout = Layout.from_bits(grid, "100001111100110")
layout.mask(), layout.polygons(), layout.key(), layout.connectivity.connected
write_gds(layout, work / "layout.gds")  # um units: layer 1 metal, 2 board, 10 ports
write_png(layout, work / "layout.png")

# openEMS in its own process, cached by content; "draft" for speed, "standard" for data
solver = get_solver("openems", preset="draft", cache=ResultCache(work / "cache"))
network = solver.simulate(layout, spec.frequencies_ghz())  # skrf.Network, 50 ohm
network.rfdesign_info["cells"], network.rfdesign_info["truncated"]  # what produced it
report = evaluate_network(spec, network)  # margins per band, K of eq. 4, pass/fail
print(report.to_markdown())

circuit = get_solver("circuit")  # milliseconds per layout; N x F x 2 x 2 for many:
bits_array = np.random.default_rng(0).integers(0, 2, (100, grid.n_bits))
many = circuit.simulate_bits(grid, bits_array, spec.frequencies_ghz())

ds = load_reference("openems_ka_pixel_4x5_standard_test")  # committed, checksummed data
bits, s = ds.arrays()  # N x 15, N x F x 2 x 2 complex
train, test = ds.split(0.2, seed=0)
xr = ds.to_xarray()

result = design_filter(spec, verify="circuit", out=work / "design")  # DesignResult
result.passed, result.report.band_margins_db, result.candidates, result.flags
same = DesignResult.load(work / "design")  # spec, layout, networks, reports, history

from rfdesign.surrogates.base import load_shipped
from rfdesign.surrogates.ensemble import CNNSurrogate
from rfdesign.surrogates.training import TrainConfig

cnn = load_shipped("ka_pixel_4x5")  # 5-member CNN ensemble, circuit pre-trained + openEMS
s_pred = cnn.predict(bits)  # N x F x 2 x 2, passive, S22 = S11, S12 = S21
s_pred, std_db = cnn.predict_with_uncertainty(bits)  # + member spread of |S| in dB
quick = TrainConfig(max_epochs=3)  # a real fine-tune uses the defaults
model = CNNSurrogate(grid, ds.f_ghz, cnn.config, quick, n_members=cnn.n_members)
model.fit(bits[train], s[train], init=cnn)  # fine-tune the shipped model on your data
model.save(work / "my_model")  # weights.safetensors + model.yaml, checked on load

# search on the solver itself (here the circuit model; openEMS the same way), seeded with
# your layouts through search.initial, then refine the winner's cell sizes by space mapping
small = spec.model_copy(
    update={"search": spec.search.model_copy(update={"population": 8, "generations": 2})}
)
result = design_filter(
    small,
    surrogate="solver",
    verify="circuit",
    refine="space-mapping",
    refine_budget=2,
    cache_dir=work / "cache",
)

from rfdesign.design.inverse import propose_for_spec  # GAN inverse design

spec8 = spec.model_copy(update={"grid": "ka_pixel_8x8"})
proposals = propose_for_spec(spec8, 8)  # the committed GAN: distinct bits, no corner contacts
# train your own with train_layout_gan(grid, f_ghz, folder) or `rfdesign gan train`

from rfdesign.optimizers.space_mapping import space_map  # asm, tr-asm, osm, ism
from rfdesign.optimizers.synthesis.bound import best_margin  # best of any N-resonator matrix

sm = space_map(  # any coarse and fine callables: here two shifted quadratics
    lambda x: x,
    lambda x: x + 0.1,
    np.zeros(2),
    lambda r: float(np.sum((r - 1.0) ** 2)),
    method="asm",
    max_fine=5,
)
sm.x, sm.n_fine, sm.history
bound = best_margin(spec_mask_set(spec), n=4, qu=400.0, f0_ghz=42.0, fbw=2 / 42, maxiter=60)
bound.worst_margin_db  # +0.14 dB: 4 resonators of Q 400 just meet the masks

from rfdesign.optimizers.synthesis import synthesize  # order, zeros, coupling matrix, verdict

syn = synthesize(spec_masks(spec), qu=1000.0)  # order, zeros, margins, minimum Qu
print(syn.verdict, syn.matrix or syn.needed, sep="\n")

from rfdesign.antenna_spec import load_antenna_spec  # antennas: `kind: antenna` specs
from rfdesign.design.antenna import PatchProblem
from rfdesign.layouts.antenna import Dipole
from rfdesign.solvers.openems_antenna import OpenEMSAntennaSolver

aspec = load_antenna_spec("examples/antennas/patch_28ghz.yaml")
box = PatchProblem.from_spec(aspec)  # the cavity model's patch (Balanis ch. 14) and its box
box.model.resonance_ghz, box.model.resistance_ohm(), box.model.directivity_dbi(), box.bounds
antenna_solver = OpenEMSAntennaSolver(cache=ResultCache(work / "cache"), z_ref_ohm=73.0)
dipole = antenna_solver.simulate(Dipole(15.0), np.linspace(8, 12, 41), far_field_ghz=[10.0])
dipole.directivity_dbi(10.0), dipole.radiation_efficiency(10.0), dipole.cut_dbi(10.0, 0.0)
# design_antenna(aspec, out=...) sizes the patch by SADEA on openEMS (40 runs, about 30 min)

from rfdesign.design.pixel_antenna import inset_layouts, pixel_grid  # pixel antennas

pspec = load_antenna_spec("examples/antennas/pixel_dualband.yaml")
pgrid = pixel_grid(pspec)  # 8 x 6 cells on the cavity model's outline, mirrored: 23 free
start = pgrid.patch(inset_layouts(pgrid)[2])  # an inset-fed patch the search starts from
start.mask.astype(int), start.metal_area_mm2
# design_pixel_antenna(pspec, out=...): GA on a CNN ensemble, rounds on openEMS (about 35 min)
