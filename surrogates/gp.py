"""Multi-output Gaussian-process surrogate for continuous design parameters (gpytorch).

A Gaussian process (GP) gives, with a handful of simulations, a smooth interpolant of the
responses together with an uncertainty that an optimiser can use for screening (C. E.
Rasmussen and C. K. I. Williams, *Gaussian Processes for Machine Learning*, MIT Press, 2006,
ch. 2 and 5). GP surrogates with lower-confidence-bound prescreening drive SADEA, the
surrogate-model-assisted differential evolution used for antenna design (B. Liu et al., "An
Efficient Method for Antenna Design Optimization Based on Evolutionary Computation and Machine
Learning Techniques", IEEE Trans. Antennas Propag. 62(1), 2014; B. Liu et al., IEEE Trans.
Antennas Propag. 69(4), 2021).

Model (:class:`GPSurrogate`), for inputs ``X`` (``N x d``, physical units such as mm) and
outputs ``Y`` (``N x m``, e.g. |S11| and |S21| in dB at ``m / 2`` frequencies each):

1. inputs are mapped to the unit box with the design bounds;
2. every output is standardised, and the standardised outputs are reduced by PCA (numpy SVD)
   to the components that keep a share ``variance_kept`` of the variance;
3. the ``K`` leading components (at most ``max_components``) each get their own exact GP on
   their score scaled to unit variance: constant mean, ``ScaleKernel(Matern 5/2 with one
   length scale per input)``, Gaussian noise; the ``K`` GPs are one batched gpytorch
   ``ExactGP``. The ``R`` remaining kept components share one such GP (one set of
   hyper-parameters, scores on one common scale, so each weighs by its variance as in a
   multi-output GP with ``normalize_y``). Hyper-parameters maximise the exact marginal
   log-likelihood (R&W eq. 5.8) with L-BFGS, from a fixed start plus seeded random restarts;
   the best start is kept per GP;
4. predictions go back through the PCA basis ``V`` (``m x (K + R)``): the mean is ``V`` times
   the score means and, the component GPs being independent, the variance of output ``j`` is
   ``sum_k V[j, k]^2 var_k`` plus the training variance of the discarded components of output
   ``j`` (treated as white noise), in output units;
5. each output's variance is multiplied by ``c_j = mean_i(r_ij^2 / v_ij)`` computed from the
   leave-one-out residuals ``r`` and variances ``v`` of the training set (closed form, R&W eq.
   5.12), which fixes what per-component noise cannot express (noise, or model error, that
   differs between outputs is otherwise spread evenly over all outputs by the rotation).

Why the shared GP: on responses whose resonances move through the band (the
:mod:`rfdesign.datasets.sizes` benchmark) eight components keep only ~70 % of the
variance, and a separate GP for each of ~70 components fits noise-like length scales to the
small ones; both lose to a single multi-output GP. Two leading components with their own GPs
plus a shared GP for the rest did best on a validation set (see ``benchmarks/bench_gp.py``).

The predictive standard deviation is that of a *new observation* (the GP noise is included), so
95 % intervals ``mean +- 1.96 std`` should hold about 95 % of held-out simulations.

torch and gpytorch are imported when a model is fitted or loaded, not with this module.
"""

from __future__ import annotations

import functools
import importlib
import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rfdesign.surrogates.base import register_surrogate

KIND = "gp"
"""Value of the ``kind`` field of a saved model's ``model.yaml``."""
MODEL_VERSION = 2
"""Version of what the GP tensors mean; :meth:`GPSurrogate.load` refuses any other (2: the
hyper-parameters are bounded, so their raw tensors mean other values than in 1)."""
LENGTHSCALE_RANGE = (1e-2, 1e2)
"""Bounds of every length scale on the unit-box inputs. Unbounded, L-BFGS's line search steps
to length scales of 1e-4 or 60 and to kernels whose Cholesky factor fails (on 64 pixel layouts
of 15 bits, 28 of 45 starts failed and 3 of 8 fits lost every start)."""
OUTPUTSCALE_RANGE = (1e-4, 1e2)
"""Bounds of the signal variance of a unit-variance component score."""
NOISE_MAX = 10.0
"""Largest noise variance of a unit-variance component score."""
_ARRAYS = ("components", "score_scale", "residual_var", "variance_scale")
_NORMALISATION = ("x_low", "x_high", "y_mean", "y_scale")


class GPConfig(BaseModel):
    """Settings of :class:`GPSurrogate` (frozen; unknown fields are rejected)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    seed: int = Field(0, description="Seed of the random restarts of the hyper-parameter fit.")
    variance_kept: float = Field(
        0.999,
        gt=0.0,
        le=1.0,
        description="Share of the standardised output variance the PCA components keep.",
    )
    max_components: int = Field(
        2, ge=0, description="Most leading PCA components, each with its own GP."
    )
    shared_residual: bool = Field(
        True,
        description="Kept components after the leading ones share one GP (else they are noise).",
    )
    n_restarts: int = Field(
        2, ge=0, description="Random restarts of the fit, besides the fixed starting point."
    )
    max_iter: int = Field(200, ge=1, description="L-BFGS iterations per start.")
    loo_calibration: bool = Field(
        True,
        description="Rescale each output's predictive variance by its leave-one-out residuals.",
    )
    noise_floor: float = Field(
        1e-6, gt=0.0, description="Least noise variance of a unit-variance component score."
    )


def _require(name: str) -> Any:
    """Import ``name`` or say how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # pragma: no cover - torch and gpytorch are dependencies
        raise ImportError(
            f"rfdesign.surrogates.gp needs {name}: install it with "
            f"`pip install {name.split('.')[0]}` (or `pip install rfdesign`)"
        ) from exc


@functools.cache
def _gp_class() -> type:
    """The exact GP class, built on first use so that gpytorch is imported lazily."""
    torch = _require("torch")
    gpytorch = _require("gpytorch")

    class PCAScoreGP(gpytorch.models.ExactGP):
        """Exact GPs on unit-box inputs: ``batch`` independent ones, or one shared (``batch=0``).

        Inputs are ``N x d`` or ``B x N x d``; targets ``B x N``. With ``batch=0`` the kernel and
        the noise have no batch dimension, so all target rows share one set of
        hyper-parameters (the marginal likelihood is the sum over the rows).
        """

        def __init__(self, train_x: Any, train_y: Any, likelihood: Any, batch: int) -> None:
            super().__init__(train_x, train_y, likelihood)
            shape = torch.Size([batch] if batch else [])
            self.mean_module = gpytorch.means.ConstantMean(batch_shape=shape)
            self.covar_module = gpytorch.kernels.ScaleKernel(
                gpytorch.kernels.MaternKernel(
                    nu=2.5,
                    ard_num_dims=train_x.shape[-1],
                    batch_shape=shape,
                    lengthscale_constraint=gpytorch.constraints.Interval(*LENGTHSCALE_RANGE),
                ),
                batch_shape=shape,
                outputscale_constraint=gpytorch.constraints.Interval(*OUTPUTSCALE_RANGE),
            )

        def forward(self, x: Any) -> Any:
            return gpytorch.distributions.MultivariateNormal(
                self.mean_module(x), self.covar_module(x)
            )

        def _get_test_prior_mean_and_covariances(self, *args: Any, **kwargs: Any) -> tuple:
            # gpytorch's override point: with a shared kernel the prior has no batch shape but
            # the targets do (B x N), so the posterior mean is B x n while the covariance,
            # computed once, is n x n
            mean, test_test, test_train, batch, test_shape, cls = (
                super()._get_test_prior_mean_and_covariances(*args, **kwargs)
            )
            batch = torch.broadcast_shapes(batch, self.train_targets.shape[:-1])
            return mean, test_test, test_train, batch, test_shape, cls

    return PCAScoreGP


def _build(train_x: Any, train_z: Any, noise_floor: float, shared: bool) -> Any:
    """GP(s) on unit-box inputs ``train_x`` (``N x d``) for the scores ``train_z`` (``B x N``).

    Args:
        train_x: Inputs in the unit box, ``N x d``.
        train_z: Unit-variance component scores, ``B x N``.
        noise_floor: Least noise variance.
        shared: One set of hyper-parameters for all ``B`` rows (else ``B`` independent GPs);
            the shared model factorises one ``N x N`` matrix for all rows.
    """
    torch = _require("torch")
    gpytorch = _require("gpytorch")
    b = train_z.shape[0]
    batch = 0 if shared else b
    likelihood = gpytorch.likelihoods.GaussianLikelihood(
        batch_shape=torch.Size([batch] if batch else []),
        noise_constraint=gpytorch.constraints.Interval(noise_floor, NOISE_MAX),
    )
    return _gp_class()(train_x, train_z, likelihood, batch).double()


def _matrix(
    name: str, a: Any, n_cols: int | None = None, n_rows: int | None = None, rows: str = ""
) -> np.ndarray:
    """``a`` as a finite float64 ``N x n_cols`` array, or a ValueError naming ``name``."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a 2-D array of numbers ({exc})") from None
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (rows = designs), got shape {arr.shape}")
    if n_cols is not None and arr.shape[1] != n_cols:
        raise ValueError(f"{name}: expected {n_cols} columns, got shape {arr.shape}")
    if n_rows is not None and arr.shape[0] != n_rows:
        raise ValueError(f"{name}: expected {n_rows} rows{rows}, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{name}: contains NaN or inf (first at row {row}, column {col})")
    return arr


@register_surrogate("gp")
class GPSurrogate:
    """Multi-output exact GP on PCA scores, with calibrated predictive uncertainty.

    Args:
        seed: Seed of the random restarts (the fit is deterministic for a given seed).
        variance_kept: Share of the standardised output variance kept by the PCA components.
        max_components: Most leading components with their own GP.
        shared_residual: Give the kept components after the leading ones one shared GP (else
            they count as noise, like the discarded ones).
        n_restarts: Random restarts of the hyper-parameter fit besides the fixed start.
        max_iter: L-BFGS iterations per start.
        noise_floor: Least noise variance of a unit-variance component score.

    After :meth:`fit`, ``failed_starts`` counts the starts whose kernel lost positive
    definiteness during the fit (they are skipped; the fit fails only if every start of a
    component does).

    Example:
        >>> gp = GPSurrogate(seed=0).fit(X, Y, bounds=bounds)  # doctest: +SKIP
        >>> mean, std = gp.predict_with_uncertainty(X_new)  # doctest: +SKIP
    """

    kind = KIND
    """Registry name of this surrogate kind (see :mod:`rfdesign.surrogates.base`)."""

    def __init__(
        self,
        *,
        seed: int = 0,
        variance_kept: float = 0.999,
        max_components: int = 2,
        shared_residual: bool = True,
        n_restarts: int = 2,
        max_iter: int = 200,
        loo_calibration: bool = True,
        noise_floor: float = 1e-6,
    ) -> None:
        self.config = GPConfig(
            seed=seed,
            variance_kept=variance_kept,
            max_components=max_components,
            shared_residual=shared_residual,
            n_restarts=n_restarts,
            max_iter=max_iter,
            loo_calibration=loo_calibration,
            noise_floor=noise_floor,
        )
        self._models: dict[str, Any] = {}  # "independent" (K GPs), "shared" (one GP, R rows)

    # ----- shapes ------------------------------------------------------------------------------
    @property
    def input_dim(self) -> int:
        """Number of design parameters ``d``."""
        self._check_fitted()
        return int(self.x_low.size)

    @property
    def output_dim(self) -> int:
        """Number of outputs ``m``."""
        self._check_fitted()
        return int(self.y_mean.size)

    @property
    def n_components(self) -> tuple[int, int]:
        """PCA components modelled: ``(K, R)``, ``K`` with their own GP, ``R`` sharing one."""
        self._check_fitted()
        return self.n_independent, int(self.components.shape[1]) - self.n_independent

    def _check_fitted(self) -> None:
        if not self._models:
            raise RuntimeError("GPSurrogate: not fitted; call fit() or GPSurrogate.load() first")

    # ----- fit ---------------------------------------------------------------------------------
    def fit(self, X: Any, Y: Any, bounds: Any = None) -> GPSurrogate:
        """Fit the surrogate.

        Args:
            X: Design parameters, shape ``N x d`` (physical units, e.g. mm), ``N >= 3``.
            Y: Responses, shape ``N x m`` (e.g. |S| in dB at ``m`` frequencies).
            bounds: Design bounds, shape ``d x 2`` (low, high per parameter, units of ``X``);
                default: the minimum and maximum of ``X``.

        Returns:
            ``self``.

        Raises:
            ValueError: For non-finite values or inconsistent shapes, naming the argument.
        """
        torch = _require("torch")
        cfg = self.config
        x = _matrix("X", X)
        y = _matrix("Y", Y, n_rows=x.shape[0], rows=" (one per design in X)")
        n, d = x.shape
        if n < 3:
            raise ValueError(f"X: need at least 3 designs to fit a GP, got {n}")
        if bounds is None:
            lo, hi = x.min(axis=0), x.max(axis=0)
            hi = np.where(hi > lo, hi, lo + 1.0)
        else:
            b = _matrix("bounds", bounds, n_cols=2, n_rows=d, rows=" (one per column of X)")
            lo, hi = b[:, 0], b[:, 1]
            if np.any(hi <= lo):
                raise ValueError("bounds: every high (column 1) must exceed its low (column 0)")
        self.x_low, self.x_high = lo.copy(), hi.copy()

        # outputs: standardise, then PCA by SVD
        self.y_mean = y.mean(axis=0)
        std = y.std(axis=0)
        self.y_scale = np.where(std > 1e-12 * max(1.0, float(np.abs(y).max())), std, 1.0)
        ys = (y - self.y_mean) / self.y_scale
        _, s, vt = np.linalg.svd(ys, full_matrices=False)
        rank = max(1, int(np.sum(s > 1e-9 * max(float(s[0]), 1e-300))))
        share = np.cumsum(s**2) / max(float(np.sum(s**2)), 1e-300)
        kept = min(int(np.searchsorted(share, cfg.variance_kept - 1e-12)) + 1, rank)
        k = min(kept, cfg.max_components)
        if not cfg.shared_residual:
            k = kept = max(k, 1)
        self.components = vt[:kept].T.copy()  # m x (K + R), orthonormal columns
        scores = ys @ self.components  # N x (K + R)
        self.score_scale = np.where(s[:kept] > 0.0, s[:kept] / math.sqrt(n), 1.0)
        if kept > k:  # one common scale: the shared GP weighs each component by its variance
            self.score_scale[k:] = math.sqrt(float(np.mean(self.score_scale[k:] ** 2)))
        resid = ys - scores @ self.components.T
        self.residual_var = np.mean(resid**2, axis=0)  # m, standardised units
        self.explained_variance_ratio = float(share[kept - 1])

        train_x = torch.as_tensor(self._unit(x), dtype=torch.float64)
        z = torch.as_tensor((scores / self.score_scale).T.copy(), dtype=torch.float64)
        self.n_independent = k
        self._models = {}
        self.failed_starts = 0
        for name, rows in (("independent", z[:k]), ("shared", z[k:])):
            if rows.shape[0]:
                state = self._fit_gp(train_x, rows, shared=name == "shared")
                self._models[name] = self._assemble(name, train_x, rows, state)
        self.variance_scale = np.ones(y.shape[1])
        if cfg.loo_calibration:
            self.variance_scale = self._loo_variance_scale(ys)
        return self

    def _loo_variance_scale(self, ys: np.ndarray) -> np.ndarray:
        """Per-output factor that makes the leave-one-out residuals unit-variance (``m``).

        The LOO mean and variance of every component GP at its training points come from one
        Cholesky factor (R&W eq. 5.12) and are mapped to the standardised outputs ``ys``
        (``N x m``) like a prediction. The factor is ``mean_i(r_ij^2 / v_ij)``: the maximum
        likelihood rescaling of output ``j``'s predictive variance. It corrects what the
        component model cannot express, chiefly noise levels that differ between outputs
        (independent noise per PCA component spreads an average noise over all outputs).
        """
        torch = _require("torch")
        from linear_operator.utils.cholesky import psd_safe_cholesky

        means, variances = [], []
        with torch.no_grad():
            for gp in self._models.values():
                prior = gp.likelihood(gp.forward(gp.train_inputs[0]))
                kinv = torch.cholesky_inverse(psd_safe_cholesky(prior.covariance_matrix))
                diag = kinv.diagonal(dim1=-2, dim2=-1)
                alpha = (kinv @ (gp.train_targets - prior.mean).unsqueeze(-1)).squeeze(-1)
                means.append((gp.train_targets - alpha / diag).T)
                variances.append((1.0 / diag).expand_as(gp.train_targets).T)
        z, zvar = torch.cat(means, dim=1).numpy(), torch.cat(variances, dim=1).numpy()
        resid = ys - (z * self.score_scale) @ self.components.T
        var = (zvar * self.score_scale**2) @ (self.components.T**2) + self.residual_var
        ok = var > 1e-12  # a constant output has no variance to rescale
        ratio = np.where(ok, resid**2 / np.where(ok, var, 1.0), 0.0)
        count = ok.sum(axis=0)
        scale = ratio.sum(axis=0) / np.maximum(count, 1)
        return np.where((count > 0) & (scale > 0.0), scale, 1.0)

    def _assemble(self, name: str, train_x: Any, train_z: Any, state: dict[str, Any]) -> Any:
        """The prediction model ``name`` with fitted hyper-parameters ``state``."""
        gp = _build(train_x, train_z, self.config.noise_floor, shared=name == "shared")
        gp.load_state_dict(state, strict=True)
        return gp.eval()

    def _fit_gp(self, train_x: Any, train_z: Any, shared: bool) -> dict[str, Any]:
        """Maximise the exact marginal log-likelihood from several starts; best state.

        For independent GPs the best start is chosen per component.
        """
        torch = _require("torch")
        gpytorch = _require("gpytorch")
        cfg = self.config
        b, d = (1 if shared else train_z.shape[0]), train_x.shape[1]
        gen = torch.Generator().manual_seed(cfg.seed + (1 if shared else 0))
        best_loss = torch.full((b,), math.inf, dtype=torch.float64)
        best: dict[str, Any] | None = None
        batch = () if shared else (b,)
        for start in range(cfg.n_restarts + 1):
            gp = _build(train_x, train_z, cfg.noise_floor, shared=shared)
            if start == 0:
                ls, noise = torch.full((*batch, 1, d), 0.3), torch.full((*batch, 1), 1e-2)
            else:  # log-uniform: length scales 0.05-2 (unit box), noise 1e-5-1e-1
                ls = torch.exp(torch.empty(*batch, 1, d).uniform_(-3.0, 0.7, generator=gen))
                noise = torch.exp(torch.empty(*batch, 1).uniform_(-11.5, -2.3, generator=gen))
            gp.covar_module.base_kernel.lengthscale = ls.double()
            gp.covar_module.outputscale = torch.ones(batch, dtype=torch.float64)
            gp.likelihood.noise = torch.clamp(noise.double(), min=2 * cfg.noise_floor)
            try:
                loss = self._optimise(gp, train_z)
            except (RuntimeError, ValueError) as exc:  # a start may break the Cholesky factor
                if not isinstance(exc, gpytorch.utils.errors.NotPSDError) and (
                    "cholesky" not in str(exc).lower()
                ):
                    raise
                self.failed_starts += 1
                continue
            loss = loss.sum().reshape(1) if shared else loss
            state = {key: val.detach().clone() for key, val in gp.state_dict().items()}
            better = loss < best_loss
            if best is None or (shared and bool(better[0])):
                best = state
            elif not shared:
                for name, _ in gp.named_parameters():
                    best[name][better] = state[name][better]
            best_loss = torch.where(better, loss, best_loss)
        if best is None or not torch.isfinite(best_loss).all():
            raise RuntimeError("GPSurrogate.fit: the marginal likelihood could not be evaluated")
        return best

    def _optimise(self, gp: Any, train_z: Any) -> Any:
        """L-BFGS on the summed negative marginal log-likelihood; loss per target row."""
        torch = _require("torch")
        gpytorch = _require("gpytorch")
        gp.train()
        mll = gpytorch.mlls.ExactMarginalLogLikelihood(gp.likelihood, gp)
        x = gp.train_inputs[0]
        opt = torch.optim.LBFGS(
            gp.parameters(),
            lr=1.0,
            max_iter=self.config.max_iter,
            tolerance_grad=1e-7,
            tolerance_change=1e-10,
            line_search_fn="strong_wolfe",
        )

        def closure() -> Any:
            opt.zero_grad()
            loss = -mll(gp(x), train_z).sum()
            loss.backward()
            return loss

        with gpytorch.settings.max_cholesky_size(100_000):
            opt.step(closure)
            with torch.no_grad():
                loss = -mll(gp(x), train_z)
        return torch.where(torch.isfinite(loss), loss, torch.full_like(loss, math.inf))

    # ----- predict -----------------------------------------------------------------------------
    def _unit(self, x: np.ndarray) -> np.ndarray:
        return (x - self.x_low) / (self.x_high - self.x_low)

    def _scores(self, X: Any, with_var: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictive mean and variance of the unit-variance scores, each ``N x (K + R)``."""
        torch = _require("torch")
        gpytorch = _require("gpytorch")
        self._check_fitted()
        x = _matrix("X", X, n_cols=self.input_dim)
        xt = torch.as_tensor(self._unit(x), dtype=torch.float64)
        means, variances = [], []
        for name, gp in self._models.items():
            b, n_train = gp.train_targets.shape
            kernels = 1 if name == "shared" else b  # cross-covariance: kernels x rows x N
            rows = max(256, 4_000_000 // (kernels * n_train))
            mean_parts, var_parts = [torch.zeros(0, b, dtype=torch.float64)], []
            with (
                torch.no_grad(),
                gpytorch.settings.max_cholesky_size(100_000),
                gpytorch.settings.skip_posterior_variances(not with_var),
            ):
                for chunk in torch.split(xt, rows):
                    post = gp(chunk)
                    mean_parts.append(post.mean.expand(b, chunk.shape[0]).T)
                    if with_var:
                        var = gp.likelihood(post).variance
                        var_parts.append(var.expand(b, chunk.shape[0]).T)
            means.append(torch.cat(mean_parts))
            variances.append(torch.cat([torch.zeros(0, b, dtype=torch.float64), *var_parts]))
        mean = torch.cat(means, dim=1).numpy()
        return mean, (torch.cat(variances, dim=1).numpy() if with_var else None)

    def predict(self, X: Any) -> np.ndarray:
        """Predictive mean.

        Args:
            X: Design parameters, shape ``N x d`` (units of the training ``X``).

        Returns:
            Mean responses, shape ``N x m`` (units of the training ``Y``).
        """
        z, _ = self._scores(X, with_var=False)
        return self.y_mean + ((z * self.score_scale) @ self.components.T) * self.y_scale

    def predict_with_uncertainty(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and standard deviation of a new observation.

        Args:
            X: Design parameters, shape ``N x d`` (units of the training ``X``).

        Returns:
            ``(mean, std)``, each of shape ``N x m`` in units of the training ``Y``; ``std``
            includes the GP noise and the variance of the discarded PCA components, rescaled
            per output by the leave-one-out factor (if ``loo_calibration``).
        """
        z, zvar = self._scores(X, with_var=True)
        mean = self.y_mean + ((z * self.score_scale) @ self.components.T) * self.y_scale
        var_std = (zvar * self.score_scale**2) @ (self.components.T**2) + self.residual_var
        return mean, np.sqrt(np.maximum(var_std * self.variance_scale, 0.0)) * self.y_scale

    # ----- save / load -------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write ``weights.safetensors`` (arrays, GP states) and ``model.yaml`` into ``directory``.

        The checkpoint of :mod:`rfdesign.surrogates.checkpoint` (the sidecar holds
        ``format_version``, ``kind``, ``model_version``, ``package_version`` and the weights'
        sha256), plus this model's ``config``, ``shapes`` and ``normalisation``.

        Returns:
            The directory.
        """
        from rfdesign.surrogates.checkpoint import save_checkpoint

        torch = _require("torch")
        self._check_fitted()
        first = next(iter(self._models.values()))
        tensors = {"train_x": first.train_inputs[0]}
        tensors |= {key: torch.as_tensor(getattr(self, key)) for key in _ARRAYS}
        for name, gp in self._models.items():
            tensors[f"{name}.train_z"] = gp.train_targets
            tensors |= {f"{name}.gp.{key}": val for key, val in gp.state_dict().items()}
        arrays = {key: val.detach().to(torch.float64).numpy() for key, val in tensors.items()}
        k, r = self.n_components
        sidecar = {
            "kind": KIND,
            "model_version": MODEL_VERSION,
            "config": self.config.model_dump(),
            "shapes": {
                "n_train": int(first.train_targets.shape[-1]),
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "n_independent": k,
                "n_shared": r,
            },
            "normalisation": {key: getattr(self, key).tolist() for key in _NORMALISATION}
            | {"explained_variance_ratio": self.explained_variance_ratio},
        }
        return save_checkpoint(directory, arrays, sidecar)

    @classmethod
    def load(cls, directory: str | Path) -> GPSurrogate:
        """Read a model written by :meth:`save`.

        Raises:
            ValueError: If ``model.yaml`` is missing a field or has the wrong ``kind`` or
                ``format_version``, or the weights file is missing, corrupted or inconsistent;
                the message names the file and the field (a
                :class:`~rfdesign.surrogates.checkpoint.CheckpointError`).
        """
        from rfdesign.surrogates.checkpoint import SIDECAR, WEIGHTS, load_checkpoint

        torch = _require("torch")
        src = Path(directory)
        meta_path, weights = src / SIDECAR, src / WEIGHTS
        arrays, meta = load_checkpoint(src, KIND, MODEL_VERSION)
        tensors = {key: torch.from_numpy(np.array(val)) for key, val in arrays.items()}

        def field(name: str) -> Any:
            if name not in meta:
                raise ValueError(f"{meta_path}: missing field {name!r}")
            return meta[name]

        try:
            config = GPConfig.model_validate(field("config"))
        except ValidationError as exc:
            raise ValueError(f"{meta_path}: field 'config' is invalid: {exc}") from None
        norm, shapes = field("normalisation"), field("shapes")

        model = cls(**config.model_dump())
        try:
            d, m, n = (int(shapes[key]) for key in ("input_dim", "output_dim", "n_train"))
            k, r = int(shapes["n_independent"]), int(shapes["n_shared"])
            for key in _NORMALISATION:
                size = d if key.startswith("x") else m
                setattr(model, key, np.array(norm[key], dtype=np.float64).reshape(size))
            model.explained_variance_ratio = float(norm["explained_variance_ratio"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{meta_path}: fields 'shapes'/'normalisation' are inconsistent ({exc!r})"
            ) from None
        parts = {name: rows for name, rows in (("independent", k), ("shared", r)) if rows}
        expected = {"train_x": (n, d), "components": (m, k + r)}
        expected |= {"score_scale": (k + r,), "residual_var": (m,), "variance_scale": (m,)}
        expected |= {f"{name}.train_z": (rows, n) for name, rows in parts.items()}
        for key, shape in expected.items():
            got = tuple(tensors[key].shape) if key in tensors else "missing"
            if got != shape:
                raise ValueError(f"{weights}: tensor {key!r} should have shape {shape}, got {got}")
        for key, val in tensors.items():  # constraint bounds may be inf by design
            if "_constraint." not in key and not bool(torch.isfinite(val).all()):
                raise ValueError(f"{weights}: tensor {key!r} holds NaN or inf (corrupted)")
        for key in _ARRAYS:
            setattr(model, key, tensors[key].numpy().copy())
        model.n_independent = k
        for name in parts:
            prefix = f"{name}.gp."
            state = {key[len(prefix) :]: v for key, v in tensors.items() if key.startswith(prefix)}
            try:
                model._models[name] = model._assemble(
                    name, tensors["train_x"], tensors[f"{name}.train_z"], state
                )
            except RuntimeError as exc:
                raise ValueError(f"{weights}: GP state {name!r} does not fit ({exc})") from None
        return model
