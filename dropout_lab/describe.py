"""What ``dropout-lab validate`` prints: each config checked on its data, its model layer by layer."""

from __future__ import annotations

from collections.abc import Iterator

_LAYER_ROW = {"layer": "<", "type": "<", "output": "<", "units": ">", "activation": "<", "rate": ">",
              "max_norm": ">", "params": ">"}  # column: alignment (widths fit the values)


def describe_configs(configs, overrides=(), sweep_items=(), data_dir=None, warn=None) -> Iterator[str]:
    """Check each config (and each cell of its sweep) as ``run`` would, then yield the lines
    describing its data, training and layers (output shape, parameters)."""
    from .catalog import resolve_configs
    from .planning import resolve

    configs = resolve_configs(configs)
    warned: set = set()

    def once(text):
        if text not in warned:
            warned.add(text)
            if warn:
                warn(text)

    plan = resolve(configs, overrides, sweep_items, data_dir, once)
    import keras  # TensorFlow: only once every config has passed its checks

    from .builder import build_model, layer_table

    sweeps = {sweep.path: (sweep, cells) for sweep, cells in plan.sweeps}
    plain = {spec.path: spec for spec in plan.plain}
    for path in configs:  # a sweep is described by its base config, on its first cell's data
        cfg, dataset = (sweeps[path][0].base, sweeps[path][1][0].dataset) if path in sweeps else \
            (plain[path].cfg, plain[path].dataset)
        keras.backend.clear_session()  # layer names start again at dense, dense_1, ...
        net = build_model(cfg.model, cfg.training, dataset.input_shape)
        opt = cfg.training.optimizer.model_dump()
        problem = (f"regression target {dataset.target or 'y'} ({dataset.y.min():g} to {dataset.y.max():g})"
                   if dataset.is_regression else f"{dataset.n_classes} classes {', '.join(dataset.classes[:12])}"
                   f"{', ...' if dataset.n_classes > 12 else ''}")
        yield (f"{cfg.name}: ok ({dataset.name}: {dataset.X.shape[0]} rows x {dataset.n_features} features, "
               f"{problem}; sample shape {dataset.input_shape})")
        yield (f"  optimizer: {', '.join(f'{k}={v}' for k, v in opt.items())}; "
               f"loss: {cfg.training.loss}; epochs: {cfg.training.epochs}; batch_size: {cfg.training.batch_size}")
        rows = [dict(zip(_LAYER_ROW, _LAYER_ROW, strict=True)), *layer_table(net)]
        widths = {key: max(len(str(row[key])) for row in rows) for key in _LAYER_ROW}
        for row in rows:
            yield "  " + " ".join(f"{row[key]!s:{align}{widths[key]}}" for key, align in _LAYER_ROW.items())
        yield f"  total parameters: {net.count_params()}"
        if path in sweeps:
            cells = sweeps[path][0].cells
            yield f"  sweep: {len(cells)} cells, each ok: {'; '.join(cell.name for cell in cells)}"
