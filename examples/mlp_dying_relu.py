"""An MLP on a synthetic regression task whose ReLU units die (or, with --healthy, do not).

    python examples/mlp_dying_relu.py            # lr 0.5 and a negative bias start: units die
    python examples/mlp_dying_relu.py --healthy  # He init, Adam at 1e-3: units stay alive
Open runs/mlp.actirun in Actiscope while it runs to watch it live.
"""

from __future__ import annotations

import argparse

import actiscope_probe
import torch
from torch import nn


def main() -> None:
    """Train and record the run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthy", action="store_true", help="the setting that trains well")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--run", default="runs/mlp.actirun")
    args = parser.parse_args()
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for width_in in (16, 128, 128, 128):
        layers += [nn.Linear(width_in, 128), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(128, 1))
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.constant_(layer.bias, 0.0 if args.healthy else -0.5)
    opt = (torch.optim.Adam(model.parameters(), lr=1e-3) if args.healthy
           else torch.optim.SGD(model.parameters(), lr=0.5))
    x = torch.randn(4096, 16)
    y = torch.sin(x[:, :4].sum(1, keepdim=True)) + 0.1 * torch.randn(4096, 1)
    with actiscope_probe.attach(model, opt, run=args.run, overwrite=True) as probe:
        for step in range(args.steps):
            if step % 32 == 0:
                probe.epoch()  # 32 batches of 128 = one pass over the data
            batch = torch.randint(0, len(x), (128,))
            loss = nn.functional.mse_loss(model(x[batch]), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            probe.log(loss=loss, lr=opt.param_groups[0]["lr"])
    print(f"wrote {args.run}; final loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
