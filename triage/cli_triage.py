"""`qingfeng triage …`: train, evaluate and classify."""
from __future__ import annotations

import fcntl
import json
import sys
import time
from pathlib import Path

import click

from config.data import ConfigError, load_taxonomy
from config.office_settings import triage_settings_from_env


@click.group("triage")
def triage_group() -> None:
    """The classifier: train, evaluate, classify."""


def _secret_and_root() -> tuple[bytes, Path]:
    try:
        settings = triage_settings_from_env()
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    return settings.secret_key, settings.paths.artifacts


@triage_group.command()
@click.option("--if-missing", is_flag=True, help="Do nothing when a usable model exists.")
@click.option("--with-feedback", is_flag=True, help="Add the categories staff confirmed or corrected.")
@click.option("--prefix", default="", help="Put before every progress line (background training).")
def train(if_missing: bool, with_feedback: bool, prefix: str) -> None:
    """Train the model and write a signed, versioned artifact."""
    from triage.classifier.artifact import (ArtifactError, current_version, load_artifact,
                                            save_artifact, usable_model)
    from triage.classifier.train import train as run_training
    from triage.classifier.train import training_examples

    secret, root = _secret_and_root()
    if if_missing and usable_model(root, secret):
        click.echo(f"{prefix}model {current_version(root)} present; not training")
        return
    root.mkdir(parents=True, exist_ok=True)
    lock = open(root / ".training.lock", "w")  # noqa: SIM115 (held until the process ends)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        click.echo(f"{prefix}another training is running; not starting a second one")
        return
    feedback = _feedback() if with_feedback else []
    examples = training_examples(feedback)
    started = time.monotonic()
    click.echo(f"{prefix}training on {len(examples)} texts ({len(feedback)} confirmed by staff) …")
    try:
        _, previous = load_artifact(root, secret)
    except ArtifactError:
        previous = None
    model, metadata = run_training(examples, progress=lambda line: click.echo(prefix + line))
    folder = save_artifact(root, model, metadata, secret)
    held = metadata["held_out"]
    click.echo(f"{prefix}model {model.version} written to {folder} in {time.monotonic() - started:.0f} s")
    click.echo(f"{prefix}held-out: top-1 {held['top1']:.3f}, top-3 {held['top3']:.3f}, "
               f"agency {held['agency_accuracy']:.3f}, in-scope turned away "
               f"{held['in_scope_turned_away']:.3f}, out-of-scope recognised {held['out_of_scope_recall']}")
    if previous:
        old = previous["held_out"]
        click.echo(f"previous model {previous['version']}: top-1 {old['top1']:.3f}, top-3 {old['top3']:.3f}, "
                   f"agency {old['agency_accuracy']:.3f} (same held-out texts)")


def _feedback() -> list:
    """Examples from the labels staff confirmed (needs the office passphrase)."""
    from models.session import make_engine, make_sessionmaker
    from triage.classifier.feedback import confirmed_examples
    from triage.keys import load_office_private_key, private_key_path

    settings = triage_settings_from_env()
    if not settings.office_passphrase:
        click.echo("error: --with-feedback needs QINGFENG_OFFICE_PASSPHRASE", err=True)
        sys.exit(1)
    key = load_office_private_key(private_key_path(settings.paths), settings.office_passphrase)
    with make_sessionmaker(make_engine(settings.database_url))() as session:
        return confirmed_examples(session, key)


@triage_group.command()
@click.option("--by-register", is_flag=True,
              help="Train without each register (and each writer batch), test on it.")
@click.option("--compare", is_flag=True,
              help="Compare the candidate designs by their register-shift scores.")
@click.option("--input", "labelled", type=click.File("r", encoding="utf-8"),
              help="Score the installed model on this labelled JSON Lines file instead "
                   "(text, categories, agency, register per line; texts it never saw).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def evaluate(by_register: bool, compare: bool, labelled, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    """Scores on texts the model was not fitted to: the random held-out fifth, and with
    --by-register the register shift (the figure designs are chosen by); with --input, the
    installed model on a labelled file, through the same path as `classify`."""
    from triage.classifier import evaluate as ev
    from triage.classifier.pipeline import SHIPPED
    from triage.classifier.fitting import Analyses
    from triage.classifier.train import training_examples

    def progress(message: str) -> None:
        click.echo(message, err=True)

    if labelled is not None:
        if by_register or compare:
            _fail("--input scores the installed model; it does not combine with "
                  "--by-register or --compare")
        _evaluate_labelled(labelled, as_json)
        return
    examples = training_examples()
    cache = Analyses()
    progress(f"analysing {len(examples)} texts …")
    cache.of(examples)
    progress("random split: fitting on four fifths, scoring the fifth …")
    scores: dict = {"random_split": ev.held_out_scores(examples, SHIPPED, cache)}
    if by_register:
        progress("register shift (shipped design):")
        scores["register_shift"] = ev.register_shift(examples, SHIPPED, cache, progress)
        scores["batch_shift"] = ev.by_group(examples, SHIPPED, lambda e: e.batch, cache, progress)
    if compare:
        progress("comparing designs by register shift:")
        scores["designs"] = ev.compare_designs(examples, progress=progress)
    if as_json:
        click.echo(json.dumps(scores, ensure_ascii=False, indent=2))
        return
    titles = {c.id: c.title for c in load_taxonomy().categories}
    click.echo(ev.format_report(scores["random_split"], titles))
    if by_register:
        click.echo("")
        click.echo(ev.format_shift(scores["register_shift"]))
        click.echo("trained without one writer batch, tested on it:")
        for name, s in scores["batch_shift"].items():
            click.echo(ev.format_scores(f"  {name}", s))
    for row in scores.get("designs", []):
        click.echo(f"\ndesign: {row['design']}")
        click.echo(ev.format_scores("  register shift, official", row["official"]))
        click.echo(ev.format_scores("  register shift, all", row["all"]))
        r = row["random_split"]
        click.echo(f"  random split: top-1 {r['top1']:.3f}  top-3 {r['top3']:.3f}  "
                   f"agency {r['agency_accuracy']:.3f}")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _evaluate_labelled(source, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    """`evaluate --input FILE`: the installed model through the engine, against the labels."""
    from triage.classifier import evaluate as ev
    from triage.classifier.artifact import ArtifactError, load_artifact
    from triage.engine import TriageEngine
    from triage.labelled import LabelledFileError, engine_outcomes, labelled_scores, read_labelled

    try:
        examples = read_labelled(source, getattr(source, "name", "input"))
    except LabelledFileError as exc:
        _fail(str(exc))
    if not examples:
        _fail("the file holds no labelled text")
    secret, root = _secret_and_root()
    try:
        model, _ = load_artifact(root, secret)
    except ArtifactError as exc:
        _fail(str(exc))
    click.echo(f"scoring model {model.version} on {len(examples)} labelled texts …", err=True)
    scores = labelled_scores(examples, engine_outcomes(TriageEngine(model), examples))
    if as_json:
        click.echo(json.dumps({"model_version": model.version, **scores}, ensure_ascii=False,
                              indent=2))
        return
    titles = {c.id: c.title for c in load_taxonomy().categories}
    click.echo(f"model {model.version}")
    click.echo(ev.format_report(scores["all"], titles))
    click.echo("\nper register:")
    for name, s in scores["per_register"].items():
        click.echo(ev.format_scores(f"  {name}", s))
    if scores["official"]:
        click.echo(ev.format_scores("official registers, pooled", scores["official"]))
    click.echo(ev.format_scores("all texts", scores["all"]))


@triage_group.command()
@click.option("--input", "source", type=click.File("r", encoding="utf-8"), required=True,
              help='JSON Lines: {"id": …, "text": …} per line ("-" for standard input).')
@click.option("--batch", type=int, default=256, show_default=True)
def classify(source, batch: int) -> None:  # type: ignore[no-untyped-def]
    """Write one JSON line of suggestions per input line."""
    from triage.classifier.artifact import ArtifactError, load_artifact
    from triage.engine import TriageEngine

    secret, root = _secret_and_root()
    try:
        model, _ = load_artifact(root, secret)
    except ArtifactError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    engine = TriageEngine(model)
    pending: list[tuple[object, str]] = []
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            pending.append((item["id"], str(item["text"])))
        except (ValueError, KeyError, TypeError):
            click.echo(f"error: line {number} is not a JSON object with id and text", err=True)
            sys.exit(2)
        if len(pending) >= batch:
            _emit(engine, pending)
    _emit(engine, pending)


def _emit(engine, pending: list[tuple[object, str]]) -> None:  # type: ignore[no-untyped-def]
    if not pending:
        return
    for (item_id, _), suggestion in zip(pending, engine.suggest_many([t for _, t in pending])):
        click.echo(json.dumps(suggestion.contract(item_id), ensure_ascii=False))
    pending.clear()
