"""Numeric precision of a run: ``auto``, ``bf16``, ``fp16`` or ``fp32``, through accelerate.

The paper trains under bf16 autocast. :func:`resolve_precision` turns a request into what a
device runs: ``auto`` is bf16 on a CUDA device that supports it, fp16 with loss scaling on one
that does not (a free Colab T4), and fp32 on the CPU (and any other device); an explicit
``bf16`` runs under CPU autocast too. ``fp16`` on the CPU is refused: accelerate 1.16 ignores
``mixed_precision="fp16"`` there (no autocast, no scaler), so the run would silently be fp32.

A run records the resolved precision (never ``auto``) in its configuration, so a resume with
another precision is refused like any other change of settings. fp16's loss scaler is saved in
every checkpoint as plain numbers (:func:`scaler_state`, JSON inside the safetensors header,
never pickle) and restored on resume (:func:`restore_scaler`).

Importing this module does not import torch.
"""

from __future__ import annotations

from typing import Any

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
"""The precisions a run or ``embed`` takes (``auto``: resolved per device)."""
_MIXED = {"bf16": "bf16", "fp16": "fp16", "fp32": "no"}
#: bytes of one activation element under each resolved precision (autocast keeps matmul
#: outputs in the low precision; used by :mod:`socalign.train.memory`)
ELEMENT_BYTES = {"bf16": 2, "fp16": 2, "fp32": 4}


class PrecisionError(ValueError):
    """A precision the device cannot run (a user error: the message names ``--precision``)."""


def _device_type(device: Any) -> str:
    return str(getattr(device, "type", device) or "cpu").split(":")[0]


def bf16_supported(device: Any) -> bool:
    """Whether ``device`` runs bf16 autocast (CPU: yes; CUDA: compute capability 8.0 or newer).

    Parameters
    ----------
    device : torch.device or str
        The device.

    Returns
    -------
    bool
    """
    kind = _device_type(device)
    if kind == "cpu":
        return True
    if kind == "cuda":
        import torch

        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False))
    return False


def resolve_precision(requested: str, device: Any) -> str:
    """The precision a run on ``device`` uses for the request ``requested``.

    Parameters
    ----------
    requested : str
        One of :data:`PRECISIONS`.
    device : torch.device or str
        Where the run computes (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``).

    Returns
    -------
    str
        ``"bf16"``, ``"fp16"`` or ``"fp32"``: ``auto`` is bf16 on a CUDA device that supports
        it, fp16 (with loss scaling) on one that does not, fp32 elsewhere.

    Raises
    ------
    PrecisionError
        An unknown name; ``bf16`` on a device without bf16 (naming fp16 instead); ``fp16``
        anywhere but CUDA.
    """
    if requested not in PRECISIONS:
        raise PrecisionError(f"--precision must be one of {list(PRECISIONS)}, got {requested!r}")
    kind = _device_type(device)
    if requested == "auto":
        if kind != "cuda":
            return "fp32"
        return "bf16" if bf16_supported(device) else "fp16"
    if requested == "bf16" and not bf16_supported(device):
        raise PrecisionError(f"--precision bf16: the {kind} device here does not support bf16; "
                             "use --precision fp16 (loss-scaled) or fp32, or auto")
    if requested == "fp16" and kind != "cuda":
        raise PrecisionError(f"--precision fp16 needs a CUDA device (here: {kind}); accelerate "
                             "would silently run fp32 on the CPU: use bf16 or fp32 there")
    return requested


def autocast_dtype(precision: str) -> Any:
    """The torch dtype autocast computes in for a resolved precision (None for fp32).

    Parameters
    ----------
    precision : str
        ``"bf16"``, ``"fp16"`` or ``"fp32"``.

    Returns
    -------
    torch.dtype or None
    """
    import torch

    if precision not in _MIXED:
        raise ValueError(f"not a resolved precision: {precision!r}")
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}[precision]


def mixed_precision(precision: str) -> str:
    """accelerate's ``mixed_precision`` for a resolved precision (``"no"`` for fp32)."""
    if precision not in _MIXED:
        raise ValueError(f"not a resolved precision: {precision!r}")
    return _MIXED[precision]


def accelerator_precision(accelerator: Any) -> str:
    """The resolved precision an accelerate ``Accelerator`` runs (``"fp32"`` for ``"no"``).

    Parameters
    ----------
    accelerator : accelerate.Accelerator
        The accelerator.

    Returns
    -------
    str
    """
    mixed = str(accelerator.mixed_precision)
    for name, value in _MIXED.items():
        if value == mixed:
            return name
    raise PrecisionError(f"the accelerator runs mixed precision {mixed!r}, which socalign does "
                         f"not train in; use one of {list(PRECISIONS)}")


def make_accelerator(precision: str = "fp32", cpu: bool | None = None) -> Any:
    """An ``accelerate.Accelerator`` running ``precision`` (resolved here first).

    In a single process whose accelerate state was set up with another precision (a notebook
    or a test that trains twice), the state is reset first; under ``accelerate launch`` every
    process asks for the same one.

    Parameters
    ----------
    precision : str, default "fp32"
        One of :data:`PRECISIONS`.
    cpu : bool or None, default None
        Force the CPU (None: the CPU unless CUDA is available).

    Returns
    -------
    accelerate.Accelerator

    Raises
    ------
    PrecisionError
        As :func:`resolve_precision` raises.
    """
    import torch
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    cpu = (not torch.cuda.is_available()) if cpu is None else cpu
    resolved = resolve_precision(precision, "cpu" if cpu else "cuda")
    shared = AcceleratorState._shared_state
    if shared and shared.get("_mixed_precision") not in (None, mixed_precision(resolved)):
        if int(shared.get("num_processes", 1) or 1) > 1:
            raise PrecisionError(f"--precision {resolved}: this launch already runs "
                                 f"{shared.get('_mixed_precision')}; launch with the same one")
        AcceleratorState._reset_state()
    return Accelerator(cpu=cpu, mixed_precision=mixed_precision(resolved))


def with_accelerator_precision(config: Any, accelerator: Any) -> Any:
    """``config`` with its precision resolved to the one ``accelerator`` runs.

    Parameters
    ----------
    config : socalign.train.config.TrainConfig
        The run's settings; ``precision`` ``auto`` takes the accelerator's.
    accelerator : accelerate.Accelerator
        The accelerator the run trains with.

    Returns
    -------
    socalign.train.config.TrainConfig
        With a resolved ``precision`` (what the run records).

    Raises
    ------
    PrecisionError
        A resolved precision in ``config`` that is not the accelerator's.
    """
    running = accelerator_precision(accelerator)
    if config.precision == "auto":
        return config.with_changes(precision=running)
    if config.precision != running:
        raise PrecisionError(f"--precision {config.precision}: the accelerator runs {running} "
                             "(e.g. accelerate launch --mixed_precision); make them agree")
    return config


def scaler_state(accelerator: Any) -> dict[str, float | int] | None:
    """The fp16 loss scaler's state as plain numbers (None without a scaler).

    Parameters
    ----------
    accelerator : accelerate.Accelerator or Any
        An object with a ``scaler`` attribute (``torch.amp.GradScaler`` or None).

    Returns
    -------
    dict or None
        ``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval`` and
        ``_growth_tracker`` (``GradScaler.state_dict()``), numbers only: a checkpoint stores them
        as JSON.
    """
    scaler = getattr(accelerator, "scaler", None)
    if scaler is None or not scaler.is_enabled():
        return None
    return {key: (int(value) if isinstance(value, int) else float(value))
            for key, value in scaler.state_dict().items()}


def restore_scaler(accelerator: Any, state: dict[str, Any] | None, path: Any) -> None:
    """Restore what :func:`scaler_state` saved into the accelerator's scaler.

    Parameters
    ----------
    accelerator : accelerate.Accelerator or Any
        An object with a ``scaler`` attribute.
    state : dict or None
        The checkpoint's ``scaler`` entry.
    path : path-like
        The checkpoint (named in the error).

    Raises
    ------
    socalign.train.checkpoint.CheckpointError
        The checkpoint holds a scaler and the run has none, or the other way round, or its
        entries are not numbers.
    """
    from socalign.train.checkpoint import CheckpointError

    scaler = getattr(accelerator, "scaler", None)
    has = scaler is not None and scaler.is_enabled()
    if state is None and not has:
        return
    if state is None or not has:
        raise CheckpointError(f"{path}: field 'state.scaler' is "
                              f"{'missing' if state is None else 'present'}, but this run "
                              f"{'scales' if has else 'does not scale'} its loss (fp16)")
    keys = ("scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker")
    for key in keys:
        value = state.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CheckpointError(f"{path}: field 'state.scaler.{key}' must be a number, "
                                  f"got {value!r}")
    scaler.load_state_dict({key: state[key] for key in keys})
