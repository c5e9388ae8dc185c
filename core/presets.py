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
# Edge of chaos (Schoenholz et al. 2017): deep tanh, random biases σ_b² = 0.05, σ_w² varies.
_EDGE_OF_CHAOS = dict(dataset="spirals", n_classes=2, n_samples=600, batch_size=64, depth=30,
                      width=64, activation="tanh", init="normal", bias_std=0.05 ** 0.5,
                      optimizer="sgd", lr=0.01, seed=0)
_DEEP_SELU = dict(dataset="spirals", n_classes=2, n_samples=600, batch_size=64, depth=30,
                  width=64, activation="selu", init="lecun_normal", optimizer="sgd", lr=0.01,
                  seed=0)
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
               "A small ReLU net trained with plain SGD at learning rate 2, biases started at "
               "-0.3. A unit is dead on the dataset when its pre-activation is negative for "
               "every training point: its derivative is then exactly 0 and its weights get no "
               "gradient. About a fifth of the units start dead; the first large updates kill "
               "many more, and by step 150 about two thirds are dead, almost all of the last "
               "hidden layer. The test accuracy first climbs to nearly 90 % (around step 100), "
               "then collapses to a constant guess (about 50 %) as the last layer dies. Dead "
               "units of the first hidden layer, whose inputs are the fixed data points, never "
               "come back; deeper units revive when the layers below change their inputs. Keep "
               "it running: the deeper layers partly revive, the net fits the circles (about "
               "98 % near step 2,000) and then dies again. Course notes mention 'up to 40 % of a "
               "network' dying at high learning rates; this is one way to make it happen.",
               ExperimentConfig(**_DYING, activation="relu"), 400),
        Preset("leaky-relu-rescue", "Leaky ReLU keeps every unit alive",
               "The dying-relu net with two changes: Leaky ReLU with slope 0.1 for negative "
               "inputs, and learning rate 0.25 instead of 2. The leaky derivative is never 0, "
               "so no unit is ever dead: the dead count stays at 0 % (with ReLU this start "
               "already has about 16 % of the units dead on the dataset). The net fits the "
               "circles within 400 steps (about 97 % test accuracy) and stays there for tens "
               "of thousands of steps. The lower rate is for the long run: at learning rate 2 "
               "the leaky net also keeps every unit alive and fits the circles, but its "
               "weights keep growing until the loss overflows to NaN after about 2,400 steps "
               "(set lr to 2 to see it).",
               ExperimentConfig(**{**_DYING, "lr": 0.25}, activation="leaky_relu",
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
               "then halves the signal's variance, so over thirty layers activations and "
               "back-propagated errors shrink by about 2^-15 (the error reaching layer 1 is a "
               "few millionths of the one leaving the output): every weight gradient is around "
               "a millionth and the loss stays near its starting value. Xavier "
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
        Preset("edge-of-chaos-ordered", "Edge of chaos: deep tanh in the ordered phase",
               "Thirty tanh layers, 64 wide, weights N(0, σ_w²/fan-in) with σ_w² = 1.0 and "
               "random biases with σ_b² = 0.05 (bias std 0.22). Mean-field theory puts this "
               "init in the ordered phase: going back through a layer multiplies the squared "
               "gradient by χ ≈ 0.76, so at init the first layer's gradient norm is about a "
               "hundredth of the last layer's (0.013 measured). Nearby inputs also become "
               "indistinguishable within a few layers. The net learns slowly: in 300 steps the "
               "loss falls only from 0.72 to about 0.65. In the Phase diagram view the dot "
               "sits in the blue region left of the critical line; compare "
               "edge-of-chaos-critical and edge-of-chaos-chaotic, identical but for σ_w².",
               ExperimentConfig(**_EDGE_OF_CHAOS, init_std=(1.0 / 64) ** 0.5), 300),
        Preset("edge-of-chaos-critical", "Edge of chaos: deep tanh at the critical point",
               "The edge-of-chaos net with σ_w² = 1.76, the critical value for tanh at "
               "σ_b² = 0.05 (Schoenholz et al. 2017): χ = 1 at the fixed point, so the gradient "
               "neither shrinks nor grows systematically through the thirty hidden layers (at "
               "init, hidden layer 2's gradient norm is about 0.7 of layer 29's) and signals "
               "keep their correlations deep into the net. SGD fits the two spirals: the loss "
               "falls from 0.70 to about 0.03 and the test accuracy reaches about 97 % in 300 "
               "steps. The dot sits on the white critical line of the Phase diagram view.",
               ExperimentConfig(**_EDGE_OF_CHAOS, init_std=(1.76 / 64) ** 0.5), 300),
        Preset("edge-of-chaos-chaotic", "Edge of chaos: deep tanh in the chaotic phase",
               "The edge-of-chaos net with σ_w² = 4.0: the chaotic phase. Going back through a "
               "layer multiplies the squared gradient by χ ≈ 1.34, so at init the first "
               "layer's gradient norm is about 20 times the last layer's (30 times between "
               "hidden layers 2 and 29): exploding gradients. Nearby inputs decorrelate within "
               "ξ_c ≈ 7 layers. Thirty layers is still only about four ξ_c and this net fits "
               "the spirals in 300 steps as well; theory says a chaotic net much deeper than "
               "ξ_c cannot be trained. The dot sits in the red region of the Phase diagram.",
               ExperimentConfig(**_EDGE_OF_CHAOS, init_std=(4.0 / 64) ** 0.5), 300),
        Preset("selu-self-normalising", "SELU keeps the signal's scale without normalization",
               "Thirty SELU layers, 64 wide, LeCun initialisation (σ_w² = 1) and zero biases. "
               "SELU's two constants are chosen so that pre-activation variance 1 is an "
               "attracting fixed point: starting from the data's 0.3, the variance climbs "
               "towards 1 and stays there, between about 0.75 and 1 from layer 12 to layer 30 "
               "at init, with no normalization layer. The gradient is not exactly critical: "
               "χ ≈ 1.07 at that fixed point, so the gradient norm grows about 3 % per layer "
               "going back (hidden layer 2's is about 2.4 times layer 29's), slightly "
               "chaotic, as mean-field theory predicts. The net trains: the loss falls from "
               "0.55 to about 0.02 in 300 steps.",
               ExperimentConfig(**_DEEP_SELU), 300),
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
