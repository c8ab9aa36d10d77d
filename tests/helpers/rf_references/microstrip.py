"""Independent references for microstrip tests: scikit-rf circuits plus closed-form formulas.

Shared by the circuit-model and the openEMS tests. Each formula is typed in from its paper;
nothing here imports the solvers under test.
"""

import math

import numpy as np
import skrf

from rfdesign.layouts import Layout, PixelGrid, Substrate, microstrip_width_mm
from rfdesign.layouts.feeds import microstrip_line

SUB = Substrate()
W50 = microstrip_width_mm(SUB)


def kirschning_open_end_mm(w_mm: float, eps_eff: float, h_mm: float, eps_r: float) -> float:
    """Open-end extension, Kirschning, Jansen and Koster, Electron. Lett. 17(3), 1981."""
    u = w_mm / h_mm
    q1 = (
        0.434907
        * (eps_eff**0.81 + 0.26)
        / (eps_eff**0.81 - 0.189)
        * (u**0.8544 + 0.236)
        / (u**0.8544 + 0.87)
    )
    q2 = 1 + u**0.371 / (2.358 * eps_r + 1)
    q3 = 1 + 0.5274 * math.atan(0.084 * u ** (1.9413 / q2)) / eps_eff**0.9236
    q4 = 1 + 0.0377 * math.atan(0.067 * u**1.456) * (6 - 5 * math.exp(0.036 * (1 - eps_r)))
    q5 = 1 - 0.218 * math.exp(-7.5 * u)
    return h_mm * q1 * q3 * q5 / q4


def hammerstad_side_arm_plane_mm(w_thru: float, w_arm: float, f_ghz: float) -> float:
    """Distance of a T-junction side arm's reference plane from the through line's centre.

    Hammerstad, IEEE MTT-S Digest 1981, pp. 54-56: d2 = D1 (0.5 - r (0.05 + 0.7 e^(-1.6 r) +
    0.25 r (f/fp)^2 - 0.17 ln r)), D1 = eta0 h / (Z1 sqrt(eps1)), r = Z1/Z2, fp = 0.4 Z1/h.
    """
    thru, arm = (microstrip_line(SUB, w, np.array([f_ghz])) for w in (w_thru, w_arm))
    z1, e1 = float(np.real(thru.z0_characteristic[0])), float(np.real(thru.ep_reff_f[0]))
    z2 = float(np.real(arm.z0_characteristic[0]))
    d1 = 376.73 * SUB.height_mm / (z1 * math.sqrt(e1))
    fp = 0.4 * z1 / SUB.height_mm  # GHz
    r = z1 / z2
    return d1 * (
        0.5
        - r * (0.05 + 0.7 * math.exp(-1.6 * r) + 0.25 * r * (f_ghz / fp) ** 2 - 0.17 * math.log(r))
    )


def stub_layout(w_thru: float, w_arm: float, arm_rows: tuple[float, ...]) -> Layout:
    """A through line (row 0) with an open stub (one column) rising from its middle."""
    cols = (0.3, 0.3, 0.3, w_arm, 0.3, 0.3, 0.3)
    g = PixelGrid(cols, (w_thru, *arm_rows), SUB, w_thru, mirror=False, feed_y_mm=w_thru / 2)
    mask = np.zeros((1 + len(arm_rows), len(cols)), dtype=bool)
    mask[0, :] = True
    mask[1:, 3] = True
    return Layout(g, mask.ravel().astype(int))


def notch_ghz(f: np.ndarray, s21: np.ndarray) -> float:
    """Frequency of the |S21| minimum, refined by a parabola through three points (dB)."""
    i = int(np.argmin(np.abs(s21)))
    y = 20 * np.log10(np.abs(s21[i - 1 : i + 2]))
    return float(f[i] + (y[0] - y[2]) / (2 * (y[0] - 2 * y[1] + y[2])) * (f[1] - f[0]))


def stub_circuit(
    w_thru: float, w_arm: float, arm_mm: float, f: np.ndarray, junction: bool = True
) -> skrf.Network:
    """scikit-rf circuit: line - shunt open stub - line. The stub runs from Hammerstad's
    reference plane (``junction``; else from the through line's centre line, an ideal tee) to
    the open end plus its Kirschning-Jansen-Koster extension."""
    thru, arm = microstrip_line(SUB, w_thru, f), microstrip_line(SUB, w_arm, f)
    e_arm = float(np.real(arm.ep_reff_f).mean())
    plane = hammerstad_side_arm_plane_mm(w_thru, w_arm, float(f.mean())) if junction else 0.0
    length = (
        arm_mm + w_thru / 2 - plane + kirschning_open_end_mm(w_arm, e_arm, SUB.height_mm, SUB.eps_r)
    )
    half = (0.9 + w_arm / 2) * 1e-3  # patch edge to the stub's centre line
    stub = arm.delay_open(length * 1e-3, "m")
    net = thru.line(half, "m") ** thru.shunt(stub) ** thru.line(half, "m")
    net.renormalize(50.0)
    return net
