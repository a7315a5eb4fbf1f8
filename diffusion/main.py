"""Train a score model and export it: ``python -m diffusion.main --config fashion28
--workdir DIR``.

A thin command line over [`diffusion.train.train_and_evaluate`][] (the Flax examples'
layout): the config by name (``diffusion/configs/``) with ``--set key=value``
overrides, the work directory (training checkpoints that resume, TensorBoard events,
``log.jsonl``, ``samples.png``, and the export in ``DIR/export``, or ``--export``).
SIGTERM and Ctrl-C checkpoint the step reached before exiting, so a restart with the
same arguments loses no step.
"""

import argparse
import signal
import sys
import time


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    from .config import apply_overrides
    from .configs import CONFIGS, get_config

    ap = argparse.ArgumentParser(prog="python -m diffusion.main",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="default", choices=sorted(CONFIGS),
                    help="the named configuration (diffusion/configs/NAME.py)")
    ap.add_argument("--workdir", required=True,
                    help="folder of the training run (created; an existing run resumes)")
    ap.add_argument("--export", default=None,
                    help="folder of the exported model (default WORKDIR/export)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a TrainConfig field (repeatable), e.g. train_steps=500")
    ap.add_argument("--time-budget-s", type=float, default=None,
                    help="stop training after this many seconds (checkpointed), then "
                         "train the classifier and export")
    ap.add_argument("--classifier-steps", type=int, default=1500,
                    help="training steps of the feature classifier (default 1500)")
    ap.add_argument("--sample-images", type=int, default=64,
                    help="images in the final samples.png (default 64)")
    ap.add_argument("--sample-steps", type=int, default=100,
                    help="DDPM steps of those samples (default 100)")
    args = ap.parse_args(argv)
    for name in ("classifier_steps", "sample_images", "sample_steps"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} = {getattr(args, name)}; it must be >= 1")
    if args.time_budget_s is not None and not args.time_budget_s > 0:
        ap.error(f"--time-budget-s = {args.time_budget_s}; it must be > 0")
    try:
        config = apply_overrides(get_config(args.config), args.set)
    except ValueError as err:
        ap.error(str(err))
    from .train import train_and_evaluate

    signal.signal(signal.SIGTERM, _interrupt)
    t0 = time.perf_counter()
    log = lambda s: print(f"[{time.perf_counter() - t0:7.1f} s] {s}", flush=True)  # noqa: E731
    try:
        train_and_evaluate(config, args.workdir, time_budget_s=args.time_budget_s,
                           classifier_steps=args.classifier_steps,
                           sample_images=args.sample_images, sample_steps=args.sample_steps,
                           export_dir=args.export, log=log)
    except KeyboardInterrupt:
        print("interrupted: the step reached is checkpointed; run the same command to "
              "resume", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, FloatingPointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
