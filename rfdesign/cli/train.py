"""``rfdesign train`` and ``rfdesign evaluate``: surrogates from datasets (thin layer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rfdesign.cli.common import (
    CLUSTER_DEFAULT,
    ClusterOption,
    WorkersOption,
    check_out_dir,
    fail,
    out,
    stage_progress,
)

METRIC_ROWS = (
    ("mae_s21_db", "MAE |S21| (dB, floor -40)"),
    ("mae_s11_db", "MAE |S11| (dB, floor -40)"),
    ("median_mae_s21_db", "median per-layout MAE |S21| (dB)"),
    ("median_mae_s11_db", "median per-layout MAE |S11| (dB)"),
    ("rmse_complex", "complex RMSE"),
    ("r2_complex", "R^2 (complex)"),
    ("r2_db", "R^2 (dB)"),
    ("n", "layouts"),
)


def _metrics_table(title: str, metrics: dict) -> Table:
    table = Table(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, label in METRIC_ROWS:
        v = metrics.get(key)
        table.add_row(label, f"{v:.3f}" if isinstance(v, float) else str(v))
    return table


def train_cmd(
    dataset: Annotated[Path, typer.Option(help="Dataset folder to train on.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Checkpoint folder to write.")],
    model: Annotated[str, typer.Option(help="cnn (deep ensemble) or gp.")] = "cnn",
    holdout: Annotated[float, typer.Option(help="Held-out fraction for the metrics.")] = 0.2,
    seed: Annotated[int, typer.Option(min=0, help="Seed of split, folds and networks.")] = 0,
    members: Annotated[int, typer.Option(min=1, help="CNN ensemble members.")] = 5,
    pretrained: Annotated[
        Path | None, typer.Option(help="CNN checkpoint to fine-tune (multi-fidelity).")
    ] = None,
    tune: Annotated[int, typer.Option(min=0, help="Optuna trials before the final fit.")] = 0,
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds per trial.")] = 3,
    max_epochs: Annotated[int | None, typer.Option(min=1, help="Cap on training epochs.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Layouts per training step.")] = 32,
    cluster: ClusterOption = CLUSTER_DEFAULT,
    workers: WorkersOption = None,
    test_dataset: Annotated[
        Path | None, typer.Option(help="Independent test dataset, metrics stored in the model.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Train a surrogate on a dataset: seeded split, early stopping, held-out metrics."""
    from rfdesign.cluster import executor_for
    from rfdesign.datasets.store import DatasetError
    from rfdesign.fitting import MODEL_KINDS, train_surrogate
    from rfdesign.surrogates.checkpoint import CheckpointError
    from rfdesign.surrogates.training import TrainConfig

    if model not in MODEL_KINDS:
        fail(f"--model: {model!r} is not one of {', '.join(MODEL_KINDS)}")
    if not 0 <= holdout < 1:
        fail(f"--holdout: must be in [0, 1), got {holdout}")
    if not (dataset / "dataset.zarr").exists():
        fail(f"--dataset: {dataset} is not a dataset folder (no dataset.zarr)")
    check_out_dir(out_dir)
    try:
        with (
            executor_for(cluster, workers) as executor,
            stage_progress(disable=json_out) as progress,
        ):
            report = train_surrogate(
                dataset,
                out_dir,
                model=model,
                holdout=holdout,
                seed=seed,
                members=members,
                pretrained=pretrained,
                executor=executor,
                tune_trials=tune,
                folds=folds,
                max_epochs=max_epochs,
                train_config=TrainConfig(batch_size=batch_size),
                test_dataset=test_dataset,
                progress=progress,
            )
    except (DatasetError, CheckpointError, ValueError, KeyError) as exc:
        fail(str(exc))
    if json_out:
        out.print_json(json.dumps(report, default=float))
        return
    if report["metrics_holdout"]:
        out.print(
            _metrics_table(f"held-out {report['n_holdout']} layouts", report["metrics_holdout"])
        )
    if report["metrics_test"]:
        out.print(_metrics_table(f"test set {test_dataset}", report["metrics_test"]))
    out.print(
        f"trained {model} on {report['n_train']} layouts in {report['wall_s']:.1f} s -> {out_dir}"
    )


def evaluate_cmd(
    model: Annotated[Path, typer.Option(help="Checkpoint folder.")],
    dataset: Annotated[Path, typer.Option(help="Dataset folder to evaluate on.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Accuracy of any checkpoint on any dataset of the same grid and frequencies."""
    from rfdesign.datasets.store import DatasetError
    from rfdesign.fitting import evaluate_checkpoint
    from rfdesign.surrogates.checkpoint import CheckpointError

    if not (dataset / "dataset.zarr").exists():
        fail(f"--dataset: {dataset} is not a dataset folder (no dataset.zarr)")
    try:
        metrics = evaluate_checkpoint(model, dataset)
    except (DatasetError, CheckpointError, ValueError, KeyError) as exc:
        fail(str(exc))
    if json_out:
        out.print_json(json.dumps(metrics, default=float))
    else:
        out.print(_metrics_table(f"{model} on {dataset}", metrics))


def register(app: typer.Typer) -> None:
    """Add ``train`` and ``evaluate`` to the top-level app."""
    app.command("train")(train_cmd)
    app.command("evaluate")(evaluate_cmd)
