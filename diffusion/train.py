r"""Training of the epsilon-prediction U-Net: optax, clu metrics and writers, orbax
checkpoints that resume exactly.

Loss (Ho et al. 2020): $L = E_{x_0, t, \epsilon}\,\lVert\epsilon -
\epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t)\rVert^2$ with
$t$ uniform on $\{0..T-1\}$. Optimizer: ``optax.chain(clip_by_global_norm,
adamw(warm-up schedule))``; the weights' exponential moving average (the sampling
weights) by ``optax.incremental_update``.

Exact resumption: every random choice of step $s$ (the batch, $t$, $\epsilon$, the
dropout) is a function of ``(seed, s)`` alone (the batch is slice $s$ mod $E$ of the
permutation of epoch $\lfloor s/E\rfloor$, $E$ batches per epoch:
[`diffusion.input_pipeline.batch_indices`][]), and the state
(parameters, EMA, optimizer moments, step) is checkpointed by orbax, so a run stopped
after any checkpoint and restarted reaches bit-identical weights.

Logged with clu: ``metrics.Average`` of the loss and gradient norm per `log_every`
steps, written through [`diffusion.writers`][] (clu's ``MetricWriter`` interface,
TensorBoard event files by tensorboardX, no TensorFlow) and to ``log.jsonl``.

Stopping: at ``config.train_steps``, after `time_budget_s` of training, or on
``KeyboardInterrupt`` (Ctrl-C; ``diffusion.main`` turns SIGTERM into one): each stop
checkpoints the state at the step reached, so a restart loses no step.
"""

import dataclasses
import functools
import json
import time
from pathlib import Path

import flax
import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .config import TrainConfig
from .errors import ConfigError, DataError
from .input_pipeline import batch_indices
from .schedules import make_schedule, q_sample
from .unet import UNet


@flax.struct.dataclass
class TrainState:
    """`step` (int32); `params`, `ema_params` (the U-Net's); `opt_state` (optax)."""

    step: jax.Array
    params: dict
    ema_params: dict
    opt_state: object


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    lr = optax.join_schedules(
        [optax.linear_schedule(0.0, config.learning_rate, max(config.warmup_steps, 1)),
         optax.constant_schedule(config.learning_rate)], [max(config.warmup_steps, 1)])
    return optax.chain(optax.clip_by_global_norm(config.grad_clip),
                       optax.adamw(lr, weight_decay=config.weight_decay))


@functools.partial(jax.jit, static_argnums=(0, 1))
def _init_params(model: UNet, image_shape: tuple, key):
    x = jnp.zeros((1, *image_shape), jnp.float32)
    return model.init(key, x, jnp.zeros((1,), jnp.int32), train=False)["params"]


def init_state(config: TrainConfig, image_shape) -> tuple[UNet, TrainState]:
    """The model and its initial state for images of shape (H, W, C). The parameters
    come from one compiled ``model.init``, cached per model and image shape (an eager
    init dispatches every initializer separately: slower on a CPU, see
    [`diffusion.unet.init_params`][])."""
    model = UNet(**config.model_kwargs())
    params = _init_params(model, tuple(image_shape), jax.random.key(config.seed))
    opt_state = make_optimizer(config).init(params)
    return model, TrainState(jnp.zeros((), jnp.int32), params, params, opt_state)


# The TrainConfig fields the step does not read (run length, bookkeeping, where the data
# came from) take their defaults in its static key, so runs differing only in them share
# one compilation.
_NOT_IN_STEP = ("dataset", "data_path", "pad_to", "limit", "train_steps", "log_every",
                "checkpoint_every", "keep_checkpoints")


@functools.partial(jax.jit, static_argnums=(0, 1))
def _train_step(config: TrainConfig, model: UNet, schedule, root, x_train,
                state: TrainState):
    optimizer = make_optimizer(config)
    n = x_train.shape[0]
    batch = min(config.batch_size, n)
    s = state.step
    k_perm, k_t, k_eps, k_drop = jax.random.split(jax.random.fold_in(root, s), 4)
    x0 = x_train[batch_indices(root, s, n, batch)]
    t = jax.random.randint(k_t, (batch,), 0, config.timesteps)
    eps = jax.random.normal(k_eps, x0.shape, x0.dtype)
    xt = q_sample(schedule, x0, t, eps)

    def loss_fn(params):
        pred = model.apply({"params": params}, xt, t, train=True, rngs={"dropout": k_drop})
        return jnp.mean((pred - eps) ** 2)

    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    ema = optax.incremental_update(params, state.ema_params, 1.0 - config.ema_decay)
    new = TrainState(s + 1, params, ema, opt_state)
    return new, {"loss": loss, "grad_norm": optax.tree.norm(grads)}


def make_train_step(config: TrainConfig, model: UNet, x_train):
    """The compiled ``step(state) -> (state, metrics)``; `x_train` (N, H, W, C) stays on
    the device and each step takes its batch by index (see the module docstring).

    `x_train` is an argument of the compiled step, not a constant folded into it (the
    program does not grow with the data set), and the step is compiled once per model,
    data shape and the config fields it reads: a run resumed or repeated in the same
    process reuses the compilation."""
    key = dataclasses.replace(config, **{f: getattr(TrainConfig, f) for f in _NOT_IN_STEP})
    return functools.partial(_train_step, key, model,
                             make_schedule(config.schedule, config.timesteps),
                             jax.random.key(config.seed + 1),
                             jnp.asarray(x_train, jnp.float32))


def _checkpoint_manager(workdir: Path, config: TrainConfig):
    import orbax.checkpoint as ocp
    return ocp.CheckpointManager(
        (workdir / "checkpoints").absolute(),
        options=ocp.CheckpointManagerOptions(max_to_keep=config.keep_checkpoints,
                                             create=True))


def restore_state(workdir, config: TrainConfig, image_shape, step: int | None = None):
    """The model and the checkpointed state (the latest, or `step`) of a run in
    `workdir`; ``None`` for the state when there is no checkpoint. (The state's
    shapes come from ``jax.eval_shape``: nothing is initialized to be overwritten.)"""
    import orbax.checkpoint as ocp
    model = UNet(**config.model_kwargs())
    manager = _checkpoint_manager(Path(workdir), config)
    step = manager.latest_step() if step is None else step
    if step is None:
        return model, None
    abstract = jax.eval_shape(lambda: init_state(config, tuple(image_shape))[1])
    restored = manager.restore(step, args=ocp.args.StandardRestore(abstract))
    return model, restored


def train(config: TrainConfig, workdir, x_train, *, stop_after: int | None = None,
          time_budget_s: float | None = None, log=print) -> tuple[UNet, TrainState]:
    """Train on `x_train` (N, H, W, C) in [-1, 1] to ``config.train_steps``, resuming
    from the latest checkpoint in `workdir` if there is one; `stop_after` stops early
    after that many steps of this call (to test resumption), `time_budget_s` after that
    many seconds of stepping (compilation included); either stop, and an interrupt,
    checkpoints the step reached. Writes ``config.json``, ``log.jsonl``, TensorBoard
    events and ``checkpoints/`` in `workdir`."""
    import orbax.checkpoint as ocp

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.json").write_text(config.to_json() + "\n")
    x_train = jnp.asarray(x_train, jnp.float32)
    if x_train.ndim != 4 or not bool(jnp.all(jnp.isfinite(x_train))):
        raise DataError(f"x_train must be finite images of shape (N, H, W, C); got shape "
                        f"{x_train.shape}.")
    manager = _checkpoint_manager(workdir, config)
    if manager.latest_step() is not None:
        model, state = restore_state(workdir, config, x_train.shape[1:])
        log(f"resumed from step {int(state.step)} in {workdir}")
    else:
        model, state = init_state(config, x_train.shape[1:])
    # Committed to the device, as orbax restores it: jit keys on committedness, so a
    # fresh and a resumed run in one process then share one compiled step.
    state = jax.device_put(state, jax.devices()[0])
    if int(state.step) >= config.train_steps:
        manager.close()
        return model, state
    if time_budget_s is not None and not time_budget_s > 0:
        raise ConfigError(f"time_budget_s = {time_budget_s!r}; it must be a positive number "
                          "of seconds or None.")
    from clu import metrics

    from .writers import create_default_writer

    step_fn = make_train_step(config, model, x_train)
    writer = create_default_writer(workdir, log=lambda s: None)
    writer.write_hparams(dataclasses.asdict(config))
    Avg = metrics.Collection.create(loss=metrics.Average.from_output("loss"),
                                    grad_norm=metrics.Average.from_output("grad_norm"))
    acc, t0, done = None, time.perf_counter(), 0
    start = int(state.step)
    saved, diverged = start, False
    logfile = open(workdir / "log.jsonl", "a")
    try:
        while int(state.step) < config.train_steps:
            if stop_after is not None and done >= stop_after:
                break
            if time_budget_s is not None and time.perf_counter() - t0 >= time_budget_s:
                log(f"time budget of {time_budget_s:g} s reached at step {int(state.step)}")
                break
            state, out = step_fn(state)
            done += 1
            step = int(state.step)
            upd = Avg.single_from_model_output(**out)
            acc = upd if acc is None else acc.merge(upd)
            if step % config.log_every == 0 or step == config.train_steps:
                values = {k: float(v) for k, v in acc.compute().items()}
                if not all(np.isfinite(v) for v in values.values()):
                    diverged = True
                    raise FloatingPointError(f"training diverged at step {step}: {values}; "
                                             f"lower learning_rate or grad_clip.")
                rate = done / (time.perf_counter() - t0)
                writer.write_scalars(step, {**values, "steps_per_s": rate})
                logfile.write(json.dumps(dict(step=step, steps_per_s=rate, **values)) + "\n")
                log(f"step {step}: loss {values['loss']:.4f}, |g| {values['grad_norm']:.3f}, "
                    f"{rate:.1f} steps/s")
                acc = None
            if step % config.checkpoint_every == 0 or step == config.train_steps:
                manager.save(step, args=ocp.args.StandardSave(state))
                saved = step
    finally:  # a budget, stop_after or an interrupt: checkpoint the step reached
        if int(state.step) != saved and not diverged:
            manager.save(int(state.step), args=ocp.args.StandardSave(state), force=True)
        manager.wait_until_finished()
        logfile.close()
        writer.close()
    log(f"trained steps {start}-{int(state.step)} in {time.perf_counter() - t0:.1f} s")
    return model, state


def train_and_evaluate(config: TrainConfig, workdir, *, time_budget_s: float | None = None,
                       classifier_steps: int = 1500, sample_images: int = 64,
                       sample_steps: int = 100, export_dir=None, log=print) -> dict:
    """The whole training job of a config: load its data, [`train`][diffusion.train.train]
    the score network in ``workdir`` (resuming), train the feature classifier, sample a grid
    with software noise (``samples.png``), and export the EMA weights with the classifier
    ([`diffusion.checkpoint.export`][], to `export_dir`, default ``workdir/export``).
    Returns the export's metadata."""
    from .checkpoint import export
    from .classifier import train_classifier
    from .data import load_dataset
    from .figures import sample_grid
    from .noise import SoftwareNoise
    from .samplers import ddpm_sample
    from .schedules import make_schedule
    from .unet import count_params, eps_fn

    workdir = Path(workdir)
    data = load_dataset(config.dataset, path=config.data_path, pad_to=config.pad_to,
                        limit=config.limit)
    log(f"data: {data.name} from {data.source}: train {data.x_train.shape}, test "
        f"{data.x_test.shape}")
    t0 = time.perf_counter()
    model, state = train(config, workdir, data.x_train, time_budget_s=time_budget_s, log=log)
    train_s = time.perf_counter() - t0
    clf, clf_params, acc = train_classifier(data.x_train, data.y_train, data.x_test,
                                            data.y_test, num_classes=data.num_classes,
                                            steps=classifier_steps, log=log)
    t1 = time.perf_counter()
    x = ddpm_sample(eps_fn(model, {"params": state.ema_params}),
                    make_schedule(config.schedule, config.timesteps), SoftwareNoise(),
                    jax.random.key(config.seed), (sample_images, *data.x_train.shape[1:]),
                    sample_steps)
    x = np.asarray(jax.block_until_ready(x))
    sample_s = time.perf_counter() - t1
    steps = int(state.step)
    sample_grid(x, f"{data.name}: {sample_images} samples, {steps} training steps, DDPM "
                   f"{sample_steps} steps, software noise").savefig(workdir / "samples.png",
                                                                     dpi=100)
    dev = jax.devices()[0]
    meta = dict(steps=steps, train_steps=config.train_steps,
                stopped_by=("train_steps" if steps >= config.train_steps else "time budget"),
                train_wall_s=train_s, time_budget_s=time_budget_s,
                parameters=count_params(state.ema_params),
                device=f"{dev.platform}: {getattr(dev, 'device_kind', '')}",
                jax=jax.__version__, classifier_steps=classifier_steps,
                classifier_test_accuracy=acc, sample_s=sample_s,
                date=time.strftime("%Y-%m-%d"))
    out = export(export_dir or workdir / "export", config, state.ema_params, clf_params, data,
                 meta, log_file=workdir / "log.jsonl")
    log(f"exported {steps} steps ({meta['parameters']:,} parameters, classifier accuracy "
        f"{acc:.4f}) to {out}")
    return meta
