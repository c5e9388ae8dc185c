"""Network's settings: checked against the config's field table, turned into activations.

Network(...) takes the same settings as ExperimentConfig (same names), so it refuses a bad one
with the ConfigError sentence ExperimentConfig.validate() gives.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.activations import Activation, get_activation
from core.config_fields import check_activations, check_field


def check_network_arguments(
    hidden: list[int], activation: str | Activation | Sequence[str | Activation],
    activation_params: object, **settings: object,
) -> dict[str, float]:
    """Refuse what ExperimentConfig.validate() refuses, with its ConfigError; the checked params.

    Each setting is checked against its FIELD_SPECS entry (the argument names are the config's
    field names); Activation instances carry their own parameters and are taken as they are.
    """
    for name, value in settings.items():
        check_field(name, value)
    if hidden:  # a network without hidden layers is fine here, though no config describes one
        check_field("hidden_sizes", hidden)
    params = check_field("activation_params", activation_params)
    if isinstance(activation, Activation):
        return params  # an instance carries its own parameters
    if isinstance(activation, str):
        check_field("activation", activation)
        check_activations(activation, params, len(hidden))
        return params
    names = [a.name if isinstance(a, Activation) else check_field("activation", a)
             for a in activation]
    check_activations(names, params, len(hidden))
    return params


def build_activations(
    activation: str | Activation | Sequence[str | Activation], params: dict[str, float],
    n_hidden: int,
) -> list[Activation]:
    """One Activation per hidden layer from a name/instance or a list with one per layer."""
    if isinstance(activation, (str, Activation)):
        spec = [activation] * n_hidden
    else:
        spec = list(activation)
    cache: dict[str, Activation] = {}
    result = []
    for item in spec:
        if isinstance(item, Activation):
            result.append(item)
            continue
        if item not in cache:
            if isinstance(activation, str):
                cache[item] = get_activation(item, **params)
            else:  # a mixed list: each layer takes the parameters its activation knows
                known = {p.name for p in get_activation(item).info.params}
                mine = {k: v for k, v in params.items() if k in known}
                cache[item] = get_activation(item, **mine)
        result.append(cache[item])
    return result
