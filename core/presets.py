"""Named experiments that reproduce the classic failure modes (and their fixes) in seconds.

Each preset is a complete config, the number of steps after which its phenomenon is visible,
and a paragraph saying what to look at and why it happens. tests/core/test_presets.py runs every
preset and checks the phenomenon with numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import ExperimentConfig


@dataclass(frozen=True)
class Preset:
    """A ready-made experiment: config, steps to run, and what it demonstrates."""

    name: str
    title: str
    explanation: str
    config: ExperimentConfig
    steps: int


# Shared by the dying-ReLU family so the presets differ only in the activation.
_DYING = dict(dataset="circles", n_samples=600, batch_size=64, depth=4, width=32,
              init="he_normal", optimizer="sgd", lr=2.0, bias_init=-0.3, seed=0)
_NEGATIVE_BIAS = dict(dataset="circles", n_samples=600, batch_size=64, depth=4, width=32,
                      init="he_normal", optimizer="sgd", lr=1.0, bias_init=-0.5, seed=0)
_DEEP_SIGMOID = dict(dataset="spirals", n_samples=600, batch_size=64, depth=10, width=32,
                     activation="sigmoid", init="xavier_normal", optimizer="sgd", lr=0.5, seed=0)
_DEEP_RELU = dict(dataset="moons", n_samples=600, batch_size=64, depth=30, width=32,
                  activation="relu", optimizer="sgd", lr=0.02, seed=0)
_LAYERNORM_RESIDUAL = dict(dataset="spirals", n_samples=600, batch_size=64, depth=30, width=32,
                           activation="relu", init="he_normal", optimizer="sgd", lr=0.05,
                           residual=True, normalization="layernorm", seed=0)


def _presets() -> list[Preset]:
    """All presets in menu order."""
    return [
        Preset("sigmoid-vanishing", "Vanishing gradients in a deep sigmoid net",
               "Ten sigmoid layers with Xavier initialisation. The sigmoid's slope is at most "
               "0.25 (at 0), so every layer the error signal passes on its way back shrinks it "
               "by roughly that factor or more. Watch the gradient-flow plot: the first layer's "
               "gradient norm sits about six orders of magnitude below the last layer's, so the "
               "early layers barely learn and the loss on the three-arm spirals hardly moves.",
               ExperimentConfig(**_DEEP_SIGMOID), 200),
        Preset("dying-relu", "Dying ReLUs at a high learning rate",
               "A small ReLU net trained with plain SGD at learning rate 2 and biases started "
               "at -0.3. Large updates push many units' pre-activations below zero for every "
               "training point; from then on their derivative is exactly 0, no gradient "
               "reaches their weights and they never recover. Watch the dead-on-the-dataset "
               "count climb from under a third to well over 40 % of the hidden units within a "
               "few hundred steps while the accuracy stalls near chance. Course notes mention "
               "'up to 40 % of a network' dying at high learning rates; this is one way to "
               "make it happen.",
               ExperimentConfig(**_DYING, activation="relu"), 400),
        Preset("leaky-relu-rescue", "Leaky ReLU keeps every unit alive",
               "The dying-relu experiment with one change: Leaky ReLU with slope 0.1 for "
               "negative inputs. Its derivative is never 0, so a unit pushed below zero still "
               "receives a (smaller) gradient and can come back. The dead count stays at 0 % "
               "and the same high learning rate now fits the circles.",
               ExperimentConfig(**_DYING, activation="leaky_relu",
                                activation_params={"alpha": 0.1}), 400),
        Preset("he-vs-xavier-he", "Deep ReLU net with He initialisation",
               "Thirty ReLU layers initialised with He's variance 2/fan_in. ReLU zeroes about "
               "half of its inputs, and the factor 2 makes up for exactly that, so the signal "
               "keeps its size through all thirty layers in both directions and SGD trains the "
               "net. Compare with he-vs-xavier-xavier, identical except for the init.",
               ExperimentConfig(**_DEEP_RELU, init="he_normal"), 300),
        Preset("he-vs-xavier-xavier", "Deep ReLU net with Xavier initialisation",
               "The he-vs-xavier-he net with Xavier/Glorot initialisation, variance "
               "2/(fan_in + fan_out), which is half of He's for equal widths. Each ReLU layer "
               "then halves the signal's variance, so after thirty layers activations and "
               "back-propagated errors are about 2^-15 of their starting size: every weight "
               "gradient is around a millionth and the loss stays at its starting value. Xavier "
               "was derived for tanh-like units, not ReLU.",
               ExperimentConfig(**_DEEP_RELU, init="xavier_normal"), 300),
        Preset("tanh-tiny-init", "Tanh with a tiny initialisation",
               "Ten tanh layers whose weights start with standard deviation 0.001. Near zero "
               "tanh is almost the identity, so each layer scales the signal by about "
               "0.001 x sqrt(32) = 0.006. After ten layers the output is practically constant "
               "and the gradients reaching the weights are below 1e-20: nothing learns, "
               "although no unit is saturated or dead. Switch init to xavier_normal to see the "
               "same net train.",
               ExperimentConfig(dataset="spirals", n_samples=600, batch_size=64, depth=10,
                                width=32, activation="tanh", init="normal", init_std=1e-3,
                                optimizer="sgd", lr=0.1, seed=0), 200),
        Preset("swish-vs-relu", "Swish where ReLU units start dead",
               "A ReLU-style net whose biases start at -0.5, with swish (x sigmoid(x)) as "
               "activation. With ReLU this start leaves a large share of units dead from the "
               "first step, and whether the rest can still fit the circles depends on the "
               "seed. Swish has a small non-zero slope for negative inputs, so no unit is "
               "ever exactly dead and training reaches a high accuracy. Set the activation to "
               "relu to compare. (On large image benchmarks the swish paper reports gains of "
               "under one percentage point over ReLU; this toy shows the mechanism, not "
               "those numbers.)",
               ExperimentConfig(**_NEGATIVE_BIAS, activation="swish"), 400),
        Preset("residual-fix", "Residual connections rescue the deep sigmoid net",
               "The sigmoid-vanishing net with residual connections: each hidden layer adds "
               "its output to its input (h + sigmoid(Wh + b)). The skip path passes the error "
               "signal back unchanged, so the first layer's gradient is now within a few "
               "orders of magnitude of the last one's instead of six, and the net starts to "
               "fit the spirals. The initial loss is higher because the sums grow with depth.",
               ExperimentConfig(**_DEEP_SIGMOID, residual=True), 200),
        Preset("batchnorm-rescues-sigmoid", "BatchNorm rescues the deep sigmoid net",
               "The sigmoid-vanishing net with batch normalization before every sigmoid: each "
               "unit's pre-activation is standardised over the batch, then scaled and shifted by "
               "a learned γ and β. The sigmoid then works near its steepest point instead of "
               "drifting into its flat tails, and the standardisation divides out the small "
               "scale of the layer below, so the error signal no longer shrinks layer by layer. "
               "The first layer's gradient norm starts within an order of magnitude of the last "
               "layer's instead of six below it, and the net fits the spirals. Test "
               "accuracy and the boundary use the running averages of the batch statistics, "
               "as PyTorch's eval mode does.",
               ExperimentConfig(**_DEEP_SIGMOID, normalization="batchnorm"), 200),
        Preset("layernorm-residual", "LayerNorm beside residual connections",
               "Thirty residual ReLU layers with He initialisation, each normalized over its "
               "units (LayerNorm) before the ReLU. Without the normalization every layer adds "
               "a branch as large as the stream it reads, so the stream's variance doubles per "
               "layer: after thirty layers the logits are around 2^15 times too large, the "
               "first loss is in the millions and SGD diverges (set normalization to none to "
               "see it). LayerNorm gives every branch input unit scale whatever the stream's "
               "size, so each layer adds a bounded amount and the stream grows only steadily; "
               "the first loss is in the tens, the first and last layers' gradients stay within "
               "two orders of magnitude of each other and the net fits the spirals.",
               ExperimentConfig(**_LAYERNORM_RESIDUAL), 300),
    ]


_PRESETS = {preset.name: preset for preset in _presets() if preset.config.validate()}


def available_presets() -> list[str]:
    """Preset names in menu order."""
    return list(_PRESETS)


def get_preset(name: str) -> Preset:
    """The preset with this name (its config is a fresh copy); ValueError lists valid names."""
    if name not in _PRESETS:
        raise ValueError(f"Unknown preset '{name}'; valid presets are "
                         f"{', '.join(_PRESETS)}.")
    preset = _PRESETS[name]
    return Preset(preset.name, preset.title, preset.explanation,
                  preset.config.replace(), preset.steps)
