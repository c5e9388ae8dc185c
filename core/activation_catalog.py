"""What each activation is: formulas (LaTeX-ish and HTML), parameters, range, pros and cons."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParamSpec:
    """One tunable parameter of an activation; [low, high] is the inclusive valid range."""

    name: str
    default: float
    low: float
    high: float
    description: str


@dataclass(frozen=True)
class ActivationInfo:
    """Facts about one activation, described at its default parameters.

    zero_centred: the output takes negative values comparable to its positive ones near 0, so
    layer means can sit near 0 (linear, tanh, softsign, ELU, SELU). smooth: f is continuously
    differentiable everywhere.
    """

    name: str
    display_name: str
    formula: str
    derivative: str
    formula_html: str
    derivative_html: str
    params: tuple[ParamSpec, ...]
    output_range: str
    max_abs_derivative: str
    zero_centred: bool
    monotonic: bool
    smooth: bool
    notes: str


_F = "<i>f</i>(<i>x</i>) = "
_D = "<i>f</i>&prime;(<i>x</i>) = "
_X = "<i>x</i>"
_SIG_BX = "&sigma;(&beta;<i>x</i>)"

_INFOS = (
    ActivationInfo(
        "linear", "Linear (identity)",
        r"f(x) = c\,x", r"f'(x) = c",
        _F + "<i>c x</i>", _D + "<i>c</i>",
        (ParamSpec("c", 1.0, 0.1, 5.0, "slope of the line"),),
        "(−∞, ∞)", "c (everywhere)", True, True, True,
        "No non-linearity: a stack of linear layers collapses into one linear map, so depth adds "
        "nothing and it cannot separate XOR or spirals. Its slope is the constant c, so it never "
        "saturates or dies, but with c ≠ 1 the signal grows or shrinks geometrically with depth. "
        "Belongs on regression output layers, not in hidden layers.",
    ),
    ActivationInfo(
        "binary_step", "Binary step",
        r"f(x) = 1 \text{ if } x \ge 0 \text{ else } 0",
        r"f'(x) = 0 \quad (\text{the jump at } x = 0 \text{ is taken as } 0)",
        _F + "1 if " + _X + " &ge; 0, else 0", _D + "0 (the jump at 0 is taken as 0)",
        (), "{0, 1}", "0 (the jump at x = 0 has no derivative)", False, True, False,
        "The perceptron's threshold unit. Its derivative is zero wherever it exists, so back-"
        "propagation passes no gradient at all and gradient descent cannot train the layers below "
        "it. It is here to show why differentiable activations replaced it.",
    ),
    ActivationInfo(
        "sigmoid", "Sigmoid (logistic)",
        r"f(x) = \sigma(x) = \frac{1}{1 + e^{-x}}", r"f'(x) = \sigma(x)\,(1 - \sigma(x))",
        _F + "&sigma;(" + _X + ") = 1 / (1 + <i>e</i><sup>&minus;<i>x</i></sup>)",
        _D + "&sigma;(" + _X + ")(1 &minus; &sigma;(" + _X + "))",
        (), "(0, 1)", "0.25 (at x = 0)", False, True, True,
        "Squashes inputs into (0, 1), which suits output probabilities and LSTM gates. Its slope "
        "is at most 0.25 and below 0.01 once |x| exceeds about 4.6, so every hidden layer "
        "multiplies the back-propagated gradient by at most 0.25 (besides the weights) and early "
        "layers of a deep stack stop learning: vanishing gradients. Outputs are all positive (not "
        "zero-centred), and the exponential costs more than a ReLU.",
    ),
    ActivationInfo(
        "tanh", "Tanh",
        r"f(x) = \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}", r"f'(x) = 1 - \tanh^{2}(x)",
        _F + "tanh(" + _X + ")", _D + "1 &minus; tanh<sup>2</sup>(" + _X + ")",
        (), "(−1, 1)", "1 (at x = 0)", True, True, True,
        "A rescaled sigmoid, tanh(x) = 2σ(2x) − 1, that is zero-centred with slope 1 at the "
        "origin, so it usually trains better than sigmoid in hidden layers. It still saturates: "
        "for |x| above about 3 the slope is below 0.01, so gradients vanish in deep stacks, "
        "especially with large initial weights. Common in recurrent networks.",
    ),
    ActivationInfo(
        "relu", "ReLU",
        r"f(x) = \max(0, x)", r"f'(x) = 1 \text{ if } x > 0 \text{ else } 0",
        _F + "max(0, " + _X + ")", _D + "1 if " + _X + " &gt; 0, else 0",
        (), "[0, ∞)", "1 (for x > 0)", False, True, False,
        "Cheap and does not saturate for positive inputs, so active units pass gradients "
        "unchanged; the default in deep feed-forward and convolutional networks. A unit whose pre-"
        "activation is negative for every input gets zero gradient and never recovers (a dead "
        "unit); a large learning rate or a strongly negative bias can kill many. Outputs are not "
        "zero-centred; PyTorch takes f'(0) = 0.",
    ),
    ActivationInfo(
        "leaky_relu", "Leaky ReLU",
        r"f(x) = \max(\alpha x, x) \quad (0 < \alpha < 1)",
        r"f'(x) = 1 \text{ if } x > 0 \text{ else } \alpha",
        _F + "max(&alpha;" + _X + ", " + _X + ")",
        _D + "1 if " + _X + " &gt; 0, else &alpha;",
        (ParamSpec("alpha", 0.01, 0.0, 0.99, "slope for negative inputs"),),
        "(−∞, ∞)", "1 (for x > 0)", False, True, False,
        "ReLU with a small slope α for negative inputs (0.01 by default, Maas et al. 2013), so a "
        "unit whose inputs are all negative still gets some gradient and can recover instead of "
        "dying. Nearly as cheap as ReLU. The negative side passes only α times the gradient, so "
        "recovery can be slow; PyTorch takes f'(0) = α.",
    ),
    ActivationInfo(
        "swish", "Swish / SiLU",
        r"f(x) = x\,\sigma(\beta x)",
        r"f'(x) = \sigma(\beta x) + \beta x\,\sigma(\beta x)\,(1 - \sigma(\beta x))",
        _F + _X + " " + _SIG_BX,
        _D + _SIG_BX + " + &beta;" + _X + " " + _SIG_BX + "(1 &minus; " + _SIG_BX + ")",
        (ParamSpec("beta", 1.0, 0.1, 10.0, "sharpness; large β approaches ReLU, β = 1 is SiLU"),),
        "[≈ −0.278/β, ∞)", "≈ 1.0998 (at βx ≈ 2.40)", False, False, True,
        "A smooth, non-monotonic ReLU-like curve with a small dip below zero near x ≈ −1.28/β. "
        "Found by automated search "
        "(Ramachandran et al. 2017), where it beat ReLU by 0.9 % ImageNet top-1 on Mobile NASNet-A"
        " and 0.6 % on Inception-ResNet-v2; with β = 1 it is SiLU, used for example in "
        "EfficientNet. Costs an exponential per unit.",
    ),
    ActivationInfo(
        "elu", "ELU",
        r"f(x) = x \text{ if } x > 0 \text{ else } \alpha\,(e^{x} - 1)",
        r"f'(x) = 1 \text{ if } x > 0 \text{ else } \alpha e^{x}",
        _F + _X + " if " + _X + " &gt; 0, else &alpha;(<i>e</i><sup><i>x</i></sup> &minus; 1)",
        _D + "1 if " + _X + " &gt; 0, else &alpha;<i>e</i><sup><i>x</i></sup>",
        (ParamSpec("alpha", 1.0, 0.1, 5.0, "negative saturation value is −α"),),
        "(−α, ∞)", "max(1, α) (1 at α = 1)", True, True, True,
        "Like ReLU for positive inputs but saturates smoothly to −α for negative ones (Clevert et "
        "al. 2015), so units keep a gradient there and mean activations move closer to zero, which"
        " tends to speed up learning. Costs an exponential for negative inputs. The slope is "
        "continuous at 0 only when α = 1; PyTorch takes f'(0) = α.",
    ),
    ActivationInfo(
        "selu", "SELU",
        r"f(x) = \lambda x \text{ if } x > 0 \text{ else } \lambda \alpha (e^{x} - 1),"
        r"\ \lambda \approx 1.0507,\ \alpha \approx 1.6733",
        r"f'(x) = \lambda \text{ if } x > 0 \text{ else } \lambda \alpha e^{x}",
        _F + "&lambda;" + _X + " if " + _X + " &gt; 0, else "
        "&lambda;&alpha;(<i>e</i><sup><i>x</i></sup> &minus; 1)",
        _D + "&lambda; if " + _X + " &gt; 0, else &lambda;&alpha;<i>e</i><sup><i>x</i></sup>",
        (), "(−λα ≈ −1.758, ∞)", "λα ≈ 1.758 (at x = 0)", True, True, False,
        "A scaled ELU whose constants λ ≈ 1.0507 and α ≈ 1.6733 were derived (Klambauer et al. "
        "2017) so that, with LeCun-normal initialisation, activations drift towards zero mean and "
        "unit variance layer after layer: a self-normalising network without batch normalisation. "
        "The guarantee assumes plain fully connected layers and that initialisation. The slope "
        "jumps from λα to λ at 0.",
    ),
    ActivationInfo(
        "gelu", "GELU",
        r"f(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}(x/\sqrt{2})\right)",
        r"f'(x) = \Phi(x) + x\,\varphi(x), \ \varphi(x) = e^{-x^{2}/2}/\sqrt{2\pi}",
        _F + _X + " &Phi;(" + _X + ") = ½" + _X + "(1 + erf(" + _X + "/&radic;2))",
        _D + "&Phi;(" + _X + ") + " + _X + " &phi;(" + _X + ")",
        (), "[≈ −0.170, ∞)", "≈ 1.129 (at x = √2)", False, False, True,
        "Weights each input by the probability that a standard normal variable falls below it "
        "(Hendrycks & Gimpel 2016): smooth and ReLU-like with a small dip below zero around x ≈ "
        "−0.75. The usual activation in Transformers such as BERT and GPT. Needs the error "
        "function, so it costs more than ReLU.",
    ),
    ActivationInfo(
        "gelu_tanh", "GELU (tanh approximation)",
        r"f(x) = \frac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(x + 0.044715\,x^{3})\right)\right)",
        r"f'(x) = \frac{1 + t}{2} + \frac{x}{2}(1 - t^{2})\sqrt{2/\pi}\,(1 + 0.134145\,x^{2}),"
        r"\ t = \tanh\left(\sqrt{2/\pi}\,(x + 0.044715\,x^{3})\right)",
        _F + "½" + _X + "(1 + tanh(&radic;(2/&pi;)(" + _X + " + 0.044715" + _X + "<sup>3</sup>)))",
        _D + "½(1 + <i>t</i>) + ½" + _X + "(1 &minus; <i>t</i><sup>2</sup>)&radic;(2/&pi;)"
        "(1 + 0.134145" + _X + "<sup>2</sup>)",
        (), "[≈ −0.170, ∞)", "≈ 1.129 (at x ≈ 1.42)", False, False, True,
        "The tanh approximation of GELU from the same paper; it differs from the exact erf form by"
        " less than 0.0005. It avoids the error function and is what the original BERT and GPT-2 "
        "code used (PyTorch: gelu(approximate='tanh')). Same shape and trade-offs as GELU.",
    ),
    ActivationInfo(
        "softplus", "Softplus",
        r"f(x) = \frac{1}{\beta}\ln\left(1 + e^{\beta x}\right)", r"f'(x) = \sigma(\beta x)",
        _F + "(1/&beta;) ln(1 + <i>e</i><sup>&beta;<i>x</i></sup>)", _D + _SIG_BX,
        (ParamSpec("beta", 1.0, 0.1, 10.0, "sharpness; large β approaches ReLU"),),
        "(0, ∞)", "< 1 (approaches 1 as x → ∞)", False, True, True,
        "A smooth ReLU: always positive, with derivative σ(βx), so its gradient is never exactly "
        "zero but becomes tiny for very negative inputs. Larger β brings it closer to ReLU. Costs "
        "an exponential and a logarithm; like PyTorch, it returns x itself once βx > 20.",
    ),
    ActivationInfo(
        "mish", "Mish",
        r"f(x) = x \tanh(\operatorname{softplus}(x)) = x \tanh\left(\ln(1 + e^{x})\right)",
        r"f'(x) = \tanh(s) + x\,\sigma(x)\,(1 - \tanh^{2}(s)),\ s = \ln(1 + e^{x})",
        _F + _X + " tanh(ln(1 + <i>e</i><sup><i>x</i></sup>))",
        _D + "tanh(<i>s</i>) + " + _X + " &sigma;(" + _X + ")"
        "(1 &minus; tanh<sup>2</sup>(<i>s</i>)), <i>s</i> = ln(1 + <i>e</i><sup><i>x</i></sup>)",
        (), "[≈ −0.309, ∞)", "≈ 1.088 (at x ≈ 1.49)", False, False, True,
        "A smooth, non-monotonic Swish-like curve (Misra 2019) with a slightly deeper dip below "
        "zero; used for example in YOLOv4. Like Swish it keeps a small gradient for negative "
        "inputs, but it costs an exponential, a logarithm and a tanh per unit, one of the slowest "
        "here.",
    ),
    ActivationInfo(
        "softsign", "Softsign",
        r"f(x) = \frac{x}{1 + |x|}", r"f'(x) = \frac{1}{(1 + |x|)^{2}}",
        _F + _X + " / (1 + |" + _X + "|)", _D + "1 / (1 + |" + _X + "|)<sup>2</sup>",
        (), "(−1, 1)", "1 (at x = 0)", True, True, True,
        "A tanh-like squashing function that approaches ±1 polynomially rather than exponentially,"
        " so it saturates more gently: its slope decays like 1/x² instead of like e^(−2|x|). Zero-"
        "centred and cheap (no exponential) but rarely used; deep stacks still see shrinking "
        "gradients.",
    ),
    ActivationInfo(
        "hard_sigmoid", "Hard sigmoid",
        r"f(x) = \frac{\operatorname{ReLU6}(x + 3)}{6} = \frac{\min(\max(x + 3, 0), 6)}{6}",
        r"f'(x) = \frac{1}{6} \text{ if } -3 < x < 3 \text{ else } 0",
        _F + "min(max(" + _X + " + 3, 0), 6) / 6",
        _D + "1/6 if &minus;3 &lt; " + _X + " &lt; 3, else 0",
        (), "[0, 1]", "≈ 0.167 = 1/6 (for −3 < x < 3)", False, True, False,
        "A piecewise-linear stand-in for the sigmoid that needs no exponential, used in "
        "MobileNetV3 (this is PyTorch's ReLU6(x + 3)/6 definition). Outside (−3, 3) its slope is "
        "exactly zero, so saturated units get no gradient at all; PyTorch takes the slope at ±3 as"
        " 0.",
    ),
    ActivationInfo(
        "hard_swish", "Hard swish",
        r"f(x) = x\,\frac{\operatorname{ReLU6}(x + 3)}{6}",
        r"f'(x) = 0 \text{ if } x \le -3;\ \frac{x}{3} + \frac{1}{2} \text{ if } -3 < x < 3;"
        r"\ 1 \text{ if } x \ge 3",
        _F + _X + " min(max(" + _X + " + 3, 0), 6) / 6",
        _D + "0 if " + _X + " &le; &minus;3; " + _X + "/3 + ½ if &minus;3 &lt; " + _X
        + " &lt; 3; 1 if " + _X + " &ge; 3",
        (), "[−0.375, ∞)", "1.5 (as x → 3 from below)", False, False, False,
        "x times the hard sigmoid: a cheap piecewise-quadratic imitation of Swish introduced with "
        "MobileNetV3 (Howard et al. 2019) for phones, where exponentials are costly. Exactly zero,"
        " with zero gradient, for x ≤ −3 and the identity for x ≥ 3; the slope jumps at −3 and 3 "
        "(PyTorch takes 0 at −3 and 1 at 3).",
    ),
)

CATALOG: dict[str, ActivationInfo] = {info.name: info for info in _INFOS}
# alias -> (canonical name, fixed parameters)
ALIASES: dict[str, tuple[str, dict[str, float]]] = {"silu": ("swish", {"beta": 1.0})}
