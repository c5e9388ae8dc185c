"""A small CNN on synthetic 32x32 images: vanishing gradients with deep sigmoid layers, or healthy.

    python examples/cnn_synthetic.py            # 8 sigmoid conv layers, no normalisation
    python examples/cnn_synthetic.py --healthy  # the same depth with BatchNorm and ReLU
Open runs/cnn.actirun in Actiscope while it runs: the first layers' gradient norms and back-
propagated signal shrink layer by layer in the vanishing setting.
"""

from __future__ import annotations

import argparse

import actiscope_probe
import torch
from torch import nn


def images(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy images of horizontal (class 0) or vertical (class 1) stripes."""
    labels = torch.randint(0, 2, (n,), generator=generator)
    stripes = torch.sin(torch.arange(32) * 0.8).expand(32, 32)
    base = torch.where(labels[:, None, None] == 0, stripes, stripes.T)
    noise = 0.5 * torch.randn(n, 3, 32, 32, generator=generator)
    return base[:, None] + noise, labels


def model(healthy: bool, depth: int = 8) -> nn.Sequential:
    """depth conv layers of 16 channels, global pooling, a linear head."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers.append(nn.Conv2d(3 if i == 0 else 16, 16, 3, padding=1))
        layers += [nn.BatchNorm2d(16), nn.ReLU()] if healthy else [nn.Sigmoid()]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 2))


def main() -> None:
    """Train and record the run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthy", action="store_true", help="the setting that trains well")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--run", default="runs/cnn.actirun")
    args = parser.parse_args()
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    net = model(args.healthy)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    with actiscope_probe.attach(net, opt, run=args.run, overwrite=True) as probe:
        for step in range(args.steps):
            if step % 50 == 0:
                probe.epoch()
            x, y = images(32, generator)
            logits = net(x)
            loss = nn.functional.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            probe.log(loss=loss, accuracy=(logits.argmax(1) == y).float().mean())
    print(f"wrote {args.run}; final loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
